"""The standard self-evaluation tables as neutral descriptions, and the snapshot at approval."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from budgets.models import Department
from evaluations import services
from evaluations.models import SelfEvaluation
from evaluations.snapshot import evaluation_queryset, gather_evaluations
from reporting.tables.base import Style, Table
from reporting.tables.registry import evaluation_table
from tests.factories import GOOD, save

pytestmark = pytest.mark.django_db


def cell(table: Table, row: int, col: int):
    return next(c for c in table.cells if (c.row, c.col) == (row, col))


def find(table: Table, value):
    return next(c for c in table.cells if c.value == value)


@pytest.fixture
def yiyang():
    call_command("load_demo", stdout=io.StringIO())
    return SelfEvaluation.objects.get(year__year=2020, project=None)


def test_department_table_matches_seed_003_layout(yiyang):
    table = evaluation_table(yiyang)
    assert (table.title, table.subtitle) == ("部门整体支出绩效自评表", "（2020年度）")
    assert cell(table, 0, 0).style == Style.TITLE and cell(table, 0, 0).colspan == 8
    assert (
        cell(table, 2, 0).value == "预算部门" and cell(table, 2, 1).value == "益阳市行政审批服务局"
    )
    funds = find(table, "年度预算申请（万元）")
    assert funds.rowspan == 7 and funds.col == 0  # header, total, split heading, 4 natures
    total_row = find(table, "年度资金总额").row
    assert [cell(table, total_row, c).value for c in range(2, 8)] == [
        Decimal("902.54"),
        Decimal("1302.99"),
        Decimal("1247.79"),
        Decimal("10.00"),
        Decimal("0.957600"),
        Decimal("9.58"),
    ]
    assert cell(table, total_row, 6).style == Style.PERCENT
    assert find(table, "其中：基本支出").row == find(table, "其中：一般公共预算").row
    assert cell(table, find(table, "其中：基本支出").row, 7).value == Decimal("1043.18")
    output = find(table, "产出指标\n（50分）")
    assert output.rowspan == 3 and output.style == Style.LABEL
    assert find(table, "效益指标\n（30分）").rowspan == 2
    first = output.row
    assert [cell(table, first, c).value for c in (1, 3, 4)] == ["数量指标", "≥10万件", "10.5万件"]
    total = find(table, "总分")
    assert total.colspan == 5
    assert cell(table, total.row, 5).value == Decimal("100.00")
    assert cell(table, total.row, 6).value == Decimal("99.58")
    assert cell(table, total.row, 7).value == "评价等级：优"
    assert find(table, "单位负责人签字：").style == Style.FOOTER
    assert table.note.startswith(f"校验码：{yiyang.snapshot_hash}")


def test_no_cell_overlaps_another(yiyang):
    table = evaluation_table(yiyang)
    covered = set()
    for c in table.cells:
        for r in range(c.row, c.row + c.rowspan):
            for k in range(c.col, c.col + c.colspan):
                assert (r, k) not in covered, f"({r},{k}) covered twice"
                covered.add((r, k))
    assert Table.from_json(table.to_json()) == table


def test_approved_table_is_frozen_and_reopen_thaws(evaluation, clerk, reviewer):
    save(evaluation, clerk, GOOD, execution_reason="合同款次年支付")
    services.evaluation_transition(evaluation=evaluation, user=clerk, action="submit")
    services.evaluation_transition(evaluation=evaluation, user=reviewer, action="approve")
    before = evaluation_table(evaluation)
    assert evaluation.snapshot_hash and evaluation.snapshot_hash in before.note
    # later edits to names, budgets and targets
    Department.objects.filter(pk=evaluation.department_id).update(name="改名后的单位")
    project = evaluation.project
    project.full_current = Decimal("999")
    project.name = "改名后的项目"
    project.save()
    project.target_sheet.indicators.update(target_value="1")
    assert evaluation_table(evaluation) == before
    services.evaluation_transition(
        evaluation=evaluation, user=reviewer, action="reopen", reason="更正"
    )
    after = evaluation_table(evaluation)
    assert after != before and "改名后的项目" in [c.value for c in after.cells]
    assert SelfEvaluation.objects.get(pk=evaluation.pk).snapshot is None


def test_gather_costs_fixed_queries(django_assert_max_num_queries):
    call_command("load_demo", stdout=io.StringIO())
    evaluations = list(evaluation_queryset())
    assert len(evaluations) == 4
    with django_assert_max_num_queries(2):
        data = gather_evaluations(evaluations)
    assert len(data) == 4
