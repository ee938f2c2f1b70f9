"""绩效目标表, 基础数据表, 自评结果汇总表 and 自评综述 as neutral descriptions: their layout
cell by cell, 无数据 for missing inputs, frozen figures of approved evaluations, and fixed query
counts."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from budgets.models import Department, DepartmentBudget, FiscalYear, Project
from evaluations import services
from evaluations.models import Indicator, SelfEvaluation, TargetSheet
from reporting.tables import registry
from reporting.tables.base import Style, Table
from reporting.tables.html import display
from reporting.tables.narrative import narrative_text
from tests.factories import (
    GOOD,
    DepartmentBudgetFactory,
    DepartmentFactory,
    IndicatorFactory,
    ProjectFactory,
    SelfEvaluationFactory,
    TargetSheetFactory,
    category,
    save,
)

pytestmark = pytest.mark.django_db
D = Decimal


def cell(table: Table, row: int, col: int):
    return next(c for c in table.cells if (c.row, c.col) == (row, col))


def find(table: Table, value):
    return next(c for c in table.cells if c.value == value)


def row_values(table: Table, row: int) -> list:
    return [c.value for c in sorted(table.cells, key=lambda c: c.col) if c.row == row]


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


def year(number: int) -> FiscalYear:
    return FiscalYear.objects.get(year=number)


# ---------------------------------------------------------------------------------------------
# 绩效目标表
# ---------------------------------------------------------------------------------------------


def test_department_targets_table(demo):
    sheet = TargetSheet.objects.get(year__year=2020, project=None)
    table = registry.targets_table(sheet)
    assert (table.title, table.subtitle) == ("部门整体支出绩效目标表", "（2020年度）")
    assert table.n_cols == 8
    assert cell(table, 0, 0).style == Style.TITLE and cell(table, 0, 0).colspan == 8
    assert cell(table, 1, 0).value == "（2020年度）" and cell(table, 1, 0).style == Style.SUBTITLE
    assert (cell(table, 2, 0).value, cell(table, 2, 1).value) == (
        "预算部门",
        "益阳市行政审批服务局",
    )
    assert cell(table, 2, 1).colspan == 7
    funds = cell(table, 3, 0)
    assert (funds.value, funds.rowspan) == ("年度预算申请（万元）", 6)  # heading, total, 4 natures
    assert row_values(table, 3) == ["年度预算申请（万元）", "", "年初预算数", "全年预算数"]
    assert row_values(table, 4) == ["年度资金总额", D("902.54"), D("1302.99")]
    assert cell(table, 4, 3).style == Style.MONEY and cell(table, 4, 5).colspan == 3
    assert row_values(table, 5) == ["其中：一般公共预算", D("902.54"), D("1301.99")]
    assert row_values(table, 8) == ["其他资金", D("0"), D("1")]
    goal = cell(table, 9, 1)
    assert cell(table, 9, 0).value == "年度总体目标"
    assert goal.value.startswith("1.“放管服”改革纵深推进") and goal.colspan == 7
    assert row_values(table, 10) == [
        "一级指标",
        "二级指标",
        "三级指标",
        "指标性质",
        "指标值",
        "计量单位",
        "分值",
        "指标值设定依据",
    ]
    output = cell(table, 11, 0)
    assert (output.value, output.rowspan, output.style) == ("产出指标\n（50分）", 3, Style.LABEL)
    assert (cell(table, 14, 0).value, cell(table, 14, 0).rowspan) == ("效益指标\n（30分）", 2)
    assert (cell(table, 16, 0).value, cell(table, 16, 0).rowspan) == ("满意度指标\n（10分）", 1)
    assert row_values(table, 11)[1:] == [
        "数量指标",
        "基层政务服务（一门式）全覆盖全面推进",
        "≥",
        "10",
        "万件",
        D("20"),
        "计划标准",
    ]
    assert cell(table, 11, 6).style == Style.SCORE
    assert row_values(table, 13)[2:4] == ["定性", "大幅提升"]
    assert cell(table, 17, 6).value == "单位负责人签字："
    assert cell(table, 17, 6).style == Style.FOOTER
    assert table.n_rows == 18


@pytest.fixture
def project_sheet(tree, fiscal_year):
    project = ProjectFactory(
        department=tree["centre"],
        year=fiscal_year,
        code="P-1",
        name="政务云平台运维",
        initial_current=D("100"),
        full_current=D("120"),
        full_carryover=D("30.5"),
    )
    sheet = TargetSheetFactory(project=project, overall_goal="保障政务云平台稳定运行")
    # entered out of the classification's order: 满意度 first, 效益 before 产出
    rows = [
        ("服务对象满意度指标", "用户满意率", "≥", "95", "%", "10", ""),
        ("社会效益指标", "平台可用性", "定性", "稳定运行", "", "30", ""),
        ("时效指标", "故障响应时间", "≤", "2", "小时", "20", ""),
        ("数量指标", "政务云平台服务单位", "≥", "30", "家", "15", "35"),
        ("数量指标", "云主机数量", "≥", "200", "台", "15", ""),
    ]
    for order, (level2, name, comparator, target, unit, weight, adjusted) in enumerate(rows):
        IndicatorFactory(
            sheet=sheet,
            category=category(fiscal_year, level2),
            name=name,
            comparator=comparator,
            target_value=target,
            unit=unit,
            weight=D(weight),
            adjusted_target_value=adjusted,
            basis=Indicator.Basis.HISTORY if name == "用户满意率" else Indicator.Basis.PLAN,
            order=order,
        )
    return sheet


def test_project_targets_table_groups_and_merges(project_sheet):
    table = registry.targets_table(project_sheet)
    assert (table.title, table.subtitle) == ("项目支出绩效目标表", "（2025年度）")
    assert row_values(table, 2) == ["项目名称", "政务云平台运维"]
    assert row_values(table, 3) == [
        "主管部门",
        "市政务服务和大数据管理局",
        "实施单位",
        "市政府大数据中心",
    ]
    assert (cell(table, 3, 1).colspan, cell(table, 3, 5).colspan) == (3, 3)
    funds = cell(table, 4, 0)
    assert (funds.value, funds.rowspan) == ("项目资金（万元）", 5)
    assert row_values(table, 5) == ["年度资金总额", D("100"), D("150.5")]
    assert row_values(table, 6) == ["其中：本年财政拨款", D("100"), D("120")]
    assert row_values(table, 7) == ["上年结转资金", D("0"), D("30.5")]
    assert row_values(table, 9) == ["年度总体目标", "保障政务云平台稳定运行"]
    # grid from row 11: 产出 (数量 ×2, 时效), 效益, 满意度 — the classification's order
    output = cell(table, 11, 0)
    assert (output.value, output.rowspan) == ("产出指标\n（50分）", 3)
    quantity = cell(table, 11, 1)
    assert (quantity.value, quantity.rowspan, quantity.style) == ("数量指标", 2, Style.CENTER)
    assert (12, 0) not in {(c.row, c.col) for c in table.cells}  # covered by the merges
    assert (12, 1) not in {(c.row, c.col) for c in table.cells}
    assert row_values(table, 11)[2:] == [
        "政务云平台服务单位",
        "≥",
        "30\n（调整后：35）",
        "家",
        D("15"),
        "计划标准",
    ]
    assert row_values(table, 12) == ["云主机数量", "≥", "200", "台", D("15"), "计划标准"]
    assert (cell(table, 13, 1).value, cell(table, 13, 1).rowspan) == ("时效指标", 1)
    assert cell(table, 13, 3).value == "≤"
    assert (cell(table, 14, 0).value, cell(table, 14, 0).rowspan) == ("效益指标\n（30分）", 1)
    assert cell(table, 14, 4).value == "稳定运行" and cell(table, 14, 5).value == ""
    assert row_values(table, 15)[:2] == ["满意度指标\n（10分）", "服务对象满意度指标"]
    assert cell(table, 15, 7).value == "历史标准"
    assert cell(table, 16, 0).value == "填表人："
    assert display(cell(table, 11, 6)) == "15.00"


def test_department_targets_without_budget_show_no_data(tree, fiscal_year):
    sheet = TargetSheet.objects.create(
        year=fiscal_year, department=tree["other"], overall_goal="完成年度工作"
    )
    table = registry.targets_table(sheet)
    for row in range(4, 9):
        for col in (3, 5):
            assert (cell(table, row, col).value, cell(table, row, col).style) == (
                "无数据",
                Style.CENTER,
            )
    assert row_values(table, 10)[0] == "一级指标"  # the grid heading, with no rows under it
    assert cell(table, 11, 0).style == Style.FOOTER


def test_targets_by_department_names_and_order(demo):
    tables = registry.targets_by_department(year(2021), None, set())
    xianning = Department.objects.get(code="101")
    names = [name for name, _ in tables[xianning.pk]]
    assert names == [
        ("", ""),  # 部门整体
        ("2021-101-001", "政务一体化平台建设"),
        ("2021-101-002", "大楼运维费"),
        ("2021-101-003", "网络及系统运维费"),
        ("2021-101-004", "咸宁市“一库共享、一证通办”智慧政务3.0改革项目"),
        ("2021-101-005", "咸宁市工程建设项目审批管理系统建设项目"),
    ]
    one = Project.objects.get(code="2021-101-002")
    only = registry.targets_by_department(year(2021), {xianning.pk}, {one.pk})
    assert [name for name, _ in only[xianning.pk]] == [("2021-101-002", "大楼运维费")]
    assert only[xianning.pk][0][1].title == "项目支出绩效目标表"


# ---------------------------------------------------------------------------------------------
# 部门整体支出绩效评价基础数据表
# ---------------------------------------------------------------------------------------------


def test_basic_data_table_matches_seed_003(demo):
    yiyang = Department.objects.get(code="103")
    table = registry.basic_data_table(yiyang, year(2020))
    assert table.title == "2020年度部门整体支出绩效评价基础数据表"
    assert table.subtitle == "填报单位：益阳市行政审批服务局"
    assert table.n_cols == 7 and table.landscape is False
    assert cell(table, 0, 0).colspan == 7 and cell(table, 0, 0).style == Style.TITLE
    staff = cell(table, 2, 0)
    assert (staff.value, staff.rowspan) == ("财政供养人员情况（人）", 2)
    assert row_values(table, 2)[1:] == ["编制数", "2020年实际在职人数", "控制率"]
    assert (cell(table, 3, 1).value, cell(table, 3, 1).style) == (42, Style.INTEGER)
    assert (cell(table, 3, 3).value, cell(table, 3, 3).colspan) == (37, 2)
    control = cell(table, 3, 5)
    assert (control.value, control.style) == (D("0.8810"), Style.PERCENT)
    assert display(control) == "88.10%"  # 37 / 42
    assert row_values(table, 4) == [
        "经费控制情况（万元）",
        "2019年决算数",
        "2020年预算数",
        "2020年决算数",
    ]
    # seed 003 附件1: 三公经费 7.69 | 21.09 | 10.26
    assert row_values(table, 5) == ["三公经费", D("7.69"), D("21.09"), D("10.26")]
    assert all(cell(table, 5, col).style == Style.MONEY for col in (1, 3, 5))
    assert row_values(table, 6) == ["1、公务用车购置和维护经费", D("7.58"), D("14"), D("9.96")]
    assert row_values(table, 7) == ["其中：公车购置", D("0"), D("0"), D("0")]
    assert row_values(table, 8) == ["公车运行维护", D("7.58"), D("14"), D("9.96")]
    assert row_values(table, 9) == ["2、出国经费", D("0"), D("0"), D("0")]
    assert row_values(table, 10) == ["3、公务接待", D("0.11"), D("7.09"), D("0.3")]
    assert row_values(table, 11) == ["项目支出", "无数据", D("223.2"), D("204.61")]
    assert cell(table, 11, 1).style == Style.CENTER
    # 23.77 + 72.27 + 39.85 | 12 + 70.2 + 13 | 15.41 + 58.26 + 0.5
    assert row_values(table, 12) == ["公用经费", D("135.89"), D("95.2"), D("74.17")]
    assert row_values(table, 13) == ["其中：办公经费", D("23.77"), D("12"), D("15.41")]
    assert row_values(table, 14) == ["水费、电费、差旅费", D("72.27"), D("70.2"), D("58.26")]
    assert row_values(table, 15) == ["会议费、培训费", D("39.85"), D("13"), D("0.5")]
    assert row_values(table, 16) == ["政府采购金额", "—", "无数据", "无数据"]
    assert row_values(table, 17) == ["部门基本支出预算调整", "—"]
    assert cell(table, 17, 1).colspan == 6
    building = cell(table, 18, 0)
    assert (building.value, building.rowspan) == ("楼堂馆所控制情况\n（2020年完工项目）", 2)
    assert row_values(table, 18)[1:] == [
        "批复规模（㎡）",
        "实际规模（㎡）",
        "规模控制率",
        "预算投资（万元）",
        "实际投资（万元）",
        "投资概算控制率",
    ]
    # blank, bordered cells to fill in by hand (a full-width space keeps the row's height)
    assert row_values(table, 19) == ["\u3000"] * 6
    assert {cell(table, 19, col).style for col in range(1, 7)} == {Style.CENTER}
    assert row_values(table, 20) == ["厉行节约保障措施", "\u3000"]
    # 部门整体共性指标 (not in seed 003's layout): computed from the figures above
    assert row_values(table, 21) == ["部门整体共性指标（系统计算）", "指标值", "计算公式"]
    common = {row_values(table, r)[0]: row_values(table, r)[1:] for r in range(22, 32)}
    assert {name: values[0] for name, values in common.items()} == {
        "在职人员控制率": D("0.8810"),  # 37 / 42, the same as 控制率 above
        "三公经费变动率": D("0.3342"),  # (10.26 − 7.69) / 7.69
        "三公经费控制率": D("0.4865"),  # 10.26 / 21.09
        "预算完成率": D("0.9576"),  # 1247.79 / 1302.99, the 执行率 of 附件2
        "预算调整率": D("0.4437"),  # (1302.99 − 902.54) / 902.54
        "支付进度率": "无数据",  # budget side of 基本支出 not published
        "结转结余率": "无数据",
        "公用经费控制率": D("0.7791"),  # 74.17 / 95.20, the 公用经费 row above
        "政府采购执行率": "无数据",
        "机关运行经费控制率": "无数据",
    }
    assert cell(table, 22, 1).style == Style.PERCENT and cell(table, 27, 1).style == Style.CENTER
    assert common["在职人员控制率"][1] == "实有在职人数 ÷ 编制数"
    assert common["三公经费变动率"][1] == "（本年决算数 − 上年决算数）÷ 上年决算数"
    assert (cell(table, 22, 2).colspan, cell(table, 27, 1).colspan) == (5, 1)
    assert cell(table, 32, 0).value.startswith("说明：“项目支出”需要填报基本支出以外")
    assert row_values(table, 33) == ["填表人：", "填报日期：", "联系电话：", "单位负责人签字："]
    assert table.n_rows == 34


def test_basic_data_shows_no_data_never_zero(tree, fiscal_year):
    DepartmentBudgetFactory(
        year=fiscal_year,
        department=tree["centre"],
        staff_quota=0,
        staff_actual=5,
        car_running_budget=D("3"),
        reception_final=D("1.25"),
    )
    table = registry.basic_data_table(tree["centre"], fiscal_year)
    assert row_values(table, 3) == [0, 5, "无数据"]  # 编制数 0: no 控制率
    assert cell(table, 3, 5).style == Style.CENTER
    # 三公: None only where every part is None; a partial column adds what is known
    assert row_values(table, 5) == ["三公经费", "无数据", D("3"), D("1.25")]
    assert row_values(table, 6) == ["1、公务用车购置和维护经费", "无数据", D("3"), "无数据"]
    assert row_values(table, 7) == ["其中：公车购置", "无数据", "无数据", "无数据"]
    assert row_values(table, 12) == ["公用经费", "无数据", "无数据", "无数据"]
    assert cell(table, 12, 1).style == Style.CENTER

    # a department without any budget row: every figure 无数据, not one 0
    empty = registry.basic_data_table(tree["other"], 2025)
    assert row_values(empty, 3) == ["无数据", "无数据", "无数据"]
    values = [c.value for c in empty.cells if c.style in (Style.MONEY, Style.INTEGER)]
    assert values == []
    # staff 3; 三公 six rows × 3; 项目支出 3; 公用经费 four rows × 3; 政府采购 2; 10 共性指标
    assert sum(c.value == "无数据" for c in empty.cells) == 3 + 18 + 3 + 12 + 2 + 10


def test_basic_data_tables_only_for_departments_with_budgets(demo):
    tables = registry.basic_data_tables(2021)
    assert [t.subtitle for t in tables] == ["填报单位：咸宁市政务服务和大数据管理局"]
    by_department = registry.basic_data_by_department(year(2020), None)
    yiyang = Department.objects.get(code="103")
    assert list(by_department) == [yiyang.pk]
    assert by_department[yiyang.pk][0][0] == ("", "")  # of the department as a whole
    assert by_department[yiyang.pk][0][1].title == "2020年度部门整体支出绩效评价基础数据表"


# ---------------------------------------------------------------------------------------------
# 自评结果汇总表
# ---------------------------------------------------------------------------------------------


def test_summary_rows_order_and_total(demo):
    table = registry.summary_table(year(2021), None)
    assert (table.title, table.subtitle) == ("绩效自评结果汇总表", "（2021年度）")
    assert table.header_rows == 3 and table.n_cols == 12
    assert row_values(table, 2) == [
        "序号",
        "单位",
        "项目名称",
        "全年预算数（万元）",
        "全年执行数（万元）",
        "执行率",
        "自评得分",
        "审核得分",
        "复核得分",
        "差异（复核−自评）",
        "评价等级",
        "状态",
    ]
    # department code, the department-wide row first, then project code
    names = [cell(table, r, 2).value for r in range(3, 12)]
    assert names == [
        "部门整体支出",
        "政务一体化平台建设",
        "大楼运维费",
        "网络及系统运维费",
        "咸宁市“一库共享、一证通办”智慧政务3.0改革项目",
        "咸宁市工程建设项目审批管理系统建设项目",
        "大数据中心平台建设",
        "市政府大数据中心运行保障经费",
        "市政府12345公共服务热线项目建设及运维费",
    ]
    assert [cell(table, r, 0).value for r in range(3, 12)] == list(range(1, 10))
    # 咸宁 2021: a budget document, no 全年预算数 — and no department-wide evaluation yet
    assert row_values(table, 3) == [
        1,
        "咸宁市政务服务和大数据管理局",
        "部门整体支出",
        "无数据",
        "无数据",
        "",
        "",
        "",
        "",
        "",
        "",
        "未开始",
    ]
    assert row_values(table, 4) == [
        2,
        "咸宁市政务服务和大数据管理局",
        "政务一体化平台建设",
        D("300"),
        D("291.6"),
        D("0.972"),
        D("98.67"),
        "",
        "",
        "",
        "优",
        "草稿",
    ]
    assert [cell(table, 4, c).style for c in (3, 5, 6)] == [
        Style.MONEY,
        Style.PERCENT,
        Style.SCORE,
    ]
    assert row_values(table, 6)[2:] == [
        "网络及系统运维费",
        D("96"),
        D("0"),
        D("0"),
        "",
        "",
        "",
        "",
        "",
        "未开始",
    ]
    total = cell(table, 12, 0)
    assert (total.value, total.colspan, total.style) == ("合计", 3, Style.TOTAL)
    # the eight projects: 300 + 158 + 96 + 204 + 73 + 197 + 110 + 148; 291.6 + 150.12 + 142.8
    assert row_values(table, 12)[1:4] == [D("1286"), D("584.52"), D("0.4545")]
    assert cell(table, 12, 5).style == Style.PERCENT and display(cell(table, 12, 5)) == "45.45%"
    assert cell(table, 13, 0).style == Style.FOOTER  # the note on what 合计 adds


def test_summary_approved_rows_come_from_the_snapshot(demo):
    yiyang = Department.objects.get(code="103")
    DepartmentBudget.objects.filter(department=yiyang, year__year=2020).update(
        income_public_full=D("5000"), income_public_executed=D("10")
    )
    Department.objects.filter(pk=yiyang.pk).update(name="改名后的单位")
    table = registry.summary_table(2020, {yiyang.pk})
    assert row_values(table, 3) == [
        1,
        "益阳市行政审批服务局",
        "部门整体支出",
        D("1302.99"),
        D("1247.79"),
        D("0.9576"),
        D("99.58"),
        "",
        "",
        "",
        "优",
        "已审核",
    ]


def test_summary_across_departments_with_factories(tree, fiscal_year):
    bureau, centre = tree["bureau"], tree["centre"]
    second = ProjectFactory(
        year=fiscal_year,
        department=bureau,
        code="B2",
        full_current=D("50"),
        executed_current=D("25"),
    )
    first = ProjectFactory(
        year=fiscal_year,
        department=bureau,
        code="B1",
        full_current=D("100"),
        executed_current=D("100"),
    )
    evaluated = ProjectFactory(
        year=fiscal_year,
        department=centre,
        code="A9",
        full_current=D("200"),
        executed_current=D("150"),
    )
    SelfEvaluationFactory(
        project=evaluated,
        execution_rate=D("0.75"),
        total_score=D("82.5"),
        grade="良",
        review_total_score=D("78"),
        review_grade="中",
        state="submitted",
    )
    DepartmentBudgetFactory(
        year=fiscal_year,
        department=bureau,
        income_public_full=D("400"),
        income_public_executed=D("380"),
        # its only income: the others are 无此项收入, not missing (issue 14)
        income_fund_absent=True,
        income_special_absent=True,
        income_other_absent=True,
    )
    ProjectFactory(year=fiscal_year, department=tree["other"], code="Z1")
    table = registry.summary_table(fiscal_year, {bureau.pk, centre.pk})
    rows = [row_values(table, r) for r in range(3, 7)]
    assert [r[1:3] for r in rows] == [
        ["市政务服务和大数据管理局", "部门整体支出"],
        ["市政务服务和大数据管理局", first.name],
        ["市政务服务和大数据管理局", second.name],
        ["市政府大数据中心", evaluated.name],
    ]
    assert rows[0][3:6] == [D("400"), D("380"), D("0.95")]
    assert [r[3] for r in rows[1:]] == [D("100"), D("50"), D("200")]
    assert rows[3][5:] == [D("0.75"), D("82.5"), D("78"), "", "", "中", "已提交"]
    # 合计 of the three projects (the department-wide row already contains them)
    assert row_values(table, 7)[:4] == ["合计", D("350"), D("275"), D("0.7857")]
    assert table.n_rows == 10  # the note on 合计, the legend of 无数据 / 超出范围 / blank


# ---------------------------------------------------------------------------------------------
# 自评综述
# ---------------------------------------------------------------------------------------------

OPERATIONS = (
    "项目全年预算数为158.00万元，执行数为150.12万元，完成预算95.01%。"
    "主要产出和效益：全年保障市政务服务中心大厅正常运转，设施报修平均1.5小时内完成维修，"
    "未发生安全责任事故，窗口工作人员和办事群众满意率97.3%。"
    "发现的问题及原因：部分设施设备使用年限较长，维修频次有所增加。"
    "下一步改进措施：制定设施设备更新计划，加强日常巡检和预防性维护。"
)


def test_narrative_table(demo):
    xianning = Department.objects.get(code="101")
    table = registry.narrative_table(year(2021), {xianning.pk})
    assert (table.title, table.subtitle) == ("2021年度项目支出绩效自评综述", "")
    assert table.header_rows == 2 and table.widths[2] > table.widths[1] > table.widths[0]
    assert row_values(table, 1) == ["序号", "项目名称", "综述"]
    group = cell(table, 2, 0)
    assert (group.value, group.colspan, group.bold) == ("咸宁市政务服务和大数据管理局", 3, True)
    assert row_values(table, 4) == [2, "大楼运维费", OPERATIONS]
    assert cell(table, 4, 2).style == Style.TEXT
    # not evaluated yet: the money sentence only
    assert row_values(table, 5) == [
        3,
        "网络及系统运维费",
        "项目全年预算数为96.00万元，执行数为0.00万元，完成预算0.00%。",
    ]
    assert table.n_rows == 2 + 1 + 5  # title, heading, one department, its five projects


def test_narrative_of_the_domain_example(evaluation, clerk, reviewer):
    save(
        evaluation,
        clerk,
        GOOD,
        actual_text="全年完成目标。",
        measures="优化排班",
        execution_reason="合同款次年支付",
    )
    expected = (
        "项目全年预算数为158.00万元，执行数为118.30万元，完成预算74.87%。"
        "主要产出和效益：全年完成目标。下一步改进措施：优化排班。"
    )  # no 发现的问题 clause: its text is empty
    table = registry.narrative_table(2025, None)
    assert cell(table, 3, 2).value == expected
    # approved: the frozen figures, whatever happens to the project afterwards
    services.evaluation_transition(evaluation=evaluation, user=clerk, action="submit")
    services.evaluation_transition(evaluation=evaluation, user=reviewer, action="approve")
    Project.objects.filter(pk=evaluation.project_id).update(full_current=D("999"))
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(measures="改过的措施")
    assert cell(registry.narrative_table(2025, None), 3, 2).value == expected


def test_narrative_text_leaves_out_empty_clauses():
    data = {
        "funds": [{"is_total": True, "full": "158", "executed": "118.3"}],
        "execution_rate": "0.748700",
        "actual": "  ",
        "problems": "资金拨付滞后；",
        "measures": "",
    }
    assert narrative_text(data) == (
        "项目全年预算数为158.00万元，执行数为118.30万元，完成预算74.87%。"
        "发现的问题及原因：资金拨付滞后。"
    )
    assert narrative_text({**data, "problems": ""}) == (
        "项目全年预算数为158.00万元，执行数为118.30万元，完成预算74.87%。"
    )


# ---------------------------------------------------------------------------------------------
# Every table: no overlapping cells, no holes, lossless JSON
# ---------------------------------------------------------------------------------------------


def all_tables() -> list[Table]:
    tables = registry.targets_tables(TargetSheet.objects.all())
    for number in (2020, 2021, 2023):
        tables += registry.basic_data_tables(number)
        tables.append(registry.summary_table(number, None))
        tables.append(registry.narrative_table(number, None))
    tables.append(registry.basic_data_table(Department.objects.get(code="101001"), 2021))
    return tables


def test_every_cell_once_and_json_round_trip(demo):
    tables = all_tables()
    assert len(tables) == 17 + 3 + 3 + 3 + 1  # target sheets, budgets, summaries, narratives
    for table in tables:
        covered = set()
        for c in table.cells:
            assert c.col + c.colspan <= table.n_cols, f"{table.title}: ({c.row},{c.col}) too wide"
            for r in range(c.row, c.row + c.rowspan):
                for k in range(c.col, c.col + c.colspan):
                    assert (r, k) not in covered, f"{table.title}: ({r},{k}) covered twice"
                    covered.add((r, k))
        # no hole either: an HTML row would come out short
        assert len(covered) == table.n_rows * table.n_cols, table.title
        assert Table.from_json(table.to_json()) == table


# ---------------------------------------------------------------------------------------------
# Fixed query counts, whatever the number of rows
# ---------------------------------------------------------------------------------------------


def grow(fiscal_year: FiscalYear, n: int) -> None:
    """n more departments, each with a budget row, department-wide targets and evaluation, and a
    project with targets (two indicators) and a live self-evaluation."""
    for _ in range(n):
        department = DepartmentFactory()
        DepartmentBudgetFactory(
            year=fiscal_year,
            department=department,
            staff_quota=10,
            staff_actual=9,
            office_budget=D("1"),
        )
        wide = TargetSheetFactory(project=None, year=fiscal_year, department=department)
        IndicatorFactory(sheet=wide)
        SelfEvaluationFactory(project=None, year=fiscal_year, department=department)
        project = ProjectFactory(year=fiscal_year, department=department)
        sheet = TargetSheetFactory(project=project)
        IndicatorFactory(sheet=sheet)
        IndicatorFactory(sheet=sheet, category=category(fiscal_year, "社会效益指标"))
        SelfEvaluationFactory(project=project, actual_text="完成", execution_rate=D("0.9"))


# the 基础数据表 reads its 填表人 (the 部门整体 self-evaluation's filled_by, issue 14): one query
CALLS = {
    "targets_table": (
        3,
        lambda fy: registry.targets_table(TargetSheet.objects.filter(year=fy, project=None).last()),
    ),
    "targets_tables": (
        3,
        lambda fy: registry.targets_tables(list(TargetSheet.objects.filter(year=fy))),
    ),
    "targets_by_department": (3, lambda fy: registry.targets_by_department(fy, None, set())),
    "basic_data_table": (
        2,
        lambda fy: registry.basic_data_table(
            DepartmentBudget.objects.filter(year=fy).last().department, fy
        ),
    ),
    "basic_data_tables": (2, lambda fy: registry.basic_data_tables(fy, None)),
    "basic_data_by_department": (2, lambda fy: registry.basic_data_by_department(fy, None)),
    "summary_table": (8, lambda fy: registry.summary_table(fy, None)),
    "results_application_table": (5, lambda fy: registry.results_application_table(fy, None)),
    "narrative_table": (4, lambda fy: registry.narrative_table(fy, None)),
}
# fetching the arguments of the call costs these many queries
ARGUMENT_QUERIES = {"targets_table": 1, "targets_tables": 1, "basic_data_table": 2}


def test_query_count_does_not_grow(demo, django_assert_max_num_queries):
    fiscal_year = year(2021)
    grow(fiscal_year, 1)  # one of each kind, so that every conditional query already happens
    small = {}
    for name, (limit, call) in CALLS.items():
        with django_assert_max_num_queries(limit + ARGUMENT_QUERIES.get(name, 0)) as queries:
            call(fiscal_year)
        small[name] = len(queries)
    grow(fiscal_year, 6)
    for name, (limit, call) in CALLS.items():
        with django_assert_max_num_queries(limit + ARGUMENT_QUERIES.get(name, 0)) as queries:
            result = call(fiscal_year)
        assert len(queries) == small[name], name
        if isinstance(result, list):
            assert len(result) > 7, name
    table = registry.summary_table(fiscal_year, None)
    assert sum(c.value == "部门整体支出" for c in table.cells) == 1 + 7
