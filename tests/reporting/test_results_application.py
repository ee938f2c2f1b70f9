"""结果应用表 (issue 17): the rows and the rule's suggestions from the score that decides (复核分,
else 审核得分, else 自评分), finance's change with a reason, the XLSX opened cell by cell, the PDF
as a reader sees it, `export_tables --table results-application`, the page, its access and its
query budget; and the 自评结果汇总表's 复核得分, 差异 and flagged departments."""

import io
import shutil
import subprocess
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from budgets.models import FiscalYear
from core.models import AuditLog
from evaluations.models import FormState, ResultSuggestion, SelfEvaluation, SpotCheck
from evaluations.services import spot_checks
from reporting.tables import registry
from reporting.tables.xlsx import render_xlsx

pytestmark = pytest.mark.django_db
D = Decimal
PLATFORM, BUILDING, HOTLINE = "2021-101-001", "2021-101-002", "2021-101002-001"


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


def users() -> dict:
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def evaluated(demo):
    """2021 as finance left it: the three evaluations approved; 大楼运维费 with a 审核总分 of 85;
    政务一体化平台建设 sampled and re-checked at 75 (self 98.67)."""
    SelfEvaluation.objects.filter(year__year=2021).update(
        state=FormState.APPROVED, approved_at=timezone.now()
    )
    SelfEvaluation.objects.filter(project__code=BUILDING).update(
        review_total_score=D("85"), review_grade="良"
    )
    platform = SelfEvaluation.objects.get(project__code=PLATFORM)
    sample = SpotCheck.objects.create(
        year=platform.year,
        seed=1,
        percent=D("20"),
        minimum=1,
        low_execution=D("0.8"),
        created_by=users()["reviewer"],
    )
    sample.items.create(
        evaluation=platform,
        reasons=["random"],
        total_score=D("75"),
        grade="中",
        conclusion="佐证不足",
        rechecked_at=timezone.now(),
    )
    return FiscalYear.objects.get(year=2021)


def rows_by_name(table) -> dict[str, list]:
    found = {}
    for row in range(3, table.n_rows):
        values = [c.value for c in sorted(table.cells, key=lambda c: c.col) if c.row == row]
        if len(values) == table.n_cols:
            found[values[2]] = values
    return found


def test_table_rows_grades_and_suggestions(evaluated):
    table = registry.results_application_table(evaluated, None)
    assert (table.title, table.subtitle, table.n_cols) == ("绩效评价结果应用表", "（2021年度）", 12)
    rows = rows_by_name(table)
    assert rows["政务一体化平台建设"][3:] == [
        D("300"),
        D("98.67"),
        "",
        D("75.00"),
        "复核分",
        "中",
        "压减",
        "压减",
        "",
    ]
    assert rows["大楼运维费"][4:11] == [D("99.50"), D("85.00"), "", "审核分", "良", "维持", "维持"]
    assert rows["市政府12345公共服务热线项目建设及运维费"][4:11] == [
        D("95.15"),
        "",
        "",
        "自评分",
        "优",
        "优先保障",
        "优先保障",
    ]
    # no approved evaluation: 未评价, no scores, no suggestion
    assert rows["网络及系统运维费"][4:] == ["", "", "", "", "未评价", "", "", ""]
    footer = [c.value for c in table.cells if str(c.value).startswith("合计：")]
    assert footer == ["合计：优先保障 1 项，维持 1 项，压减 1 项，取消或暂停 0 项，未评价 6 项。"]


def test_finance_changes_a_suggestion_with_a_reason(evaluated):
    reviewer = users()["reviewer"]
    hotline = SelfEvaluation.objects.get(project__code=HOTLINE)
    with pytest.raises(spot_checks.SpotCheckRefused, match="须填写理由"):
        spot_checks.result_suggestion_set(
            evaluation=hotline, user=reviewer, suggestion="压减", reason="  "
        )
    with pytest.raises(spot_checks.SpotCheckRefused, match="有效的建议"):
        spot_checks.result_suggestion_set(
            evaluation=hotline, user=reviewer, suggestion="加倍", reason="x"
        )
    assert not ResultSuggestion.objects.exists()
    spot_checks.result_suggestion_set(
        evaluation=hotline, user=reviewer, suggestion="维持", reason="明年项目收尾"
    )
    record = AuditLog.objects.get(action="结果应用·调整建议")
    assert (record.changes, record.reason) == ({"suggestion": ["优先保障", "维持"]}, "明年项目收尾")
    row = rows_by_name(registry.results_application_table(evaluated, None))[
        "市政府12345公共服务热线项目建设及运维费"
    ]
    assert row[9:] == ["优先保障", "维持（已调整）", "明年项目收尾"]
    # back to the rule's own suggestion: the change is gone (and that is audited too)
    spot_checks.result_suggestion_set(
        evaluation=hotline, user=reviewer, suggestion="优先保障", reason="复议后恢复"
    )
    assert not ResultSuggestion.objects.exists()
    assert AuditLog.objects.filter(action="结果应用·调整建议").count() == 2
    # a reviewer of other departments may not; nor anyone on an unevaluated form
    with pytest.raises(spot_checks.UserError):
        spot_checks.result_suggestion_set(
            evaluation=hotline, user=users()["reviewer2"], suggestion="压减", reason="x"
        )
    SelfEvaluation.objects.filter(pk=hotline.pk).update(state=FormState.RETURNED)
    hotline.refresh_from_db()
    with pytest.raises(spot_checks.SpotCheckRefused, match="尚未评价"):
        spot_checks.result_suggestion_set(
            evaluation=hotline, user=reviewer, suggestion="压减", reason="x"
        )


def test_xlsx_cell_by_cell(evaluated):
    hotline = SelfEvaluation.objects.get(project__code=HOTLINE)
    spot_checks.result_suggestion_set(
        evaluation=hotline, user=users()["reviewer"], suggestion="维持", reason="=HYPERLINK(1)"
    )
    table = registry.results_application_table(evaluated, None)
    sheet = load_workbook(io.BytesIO(render_xlsx([table]))).active
    assert sheet["A1"].value == "绩效评价结果应用表" and sheet["A2"].value == "（2021年度）"
    assert [c.value for c in sheet[3]] == [
        "序号",
        "单位",
        "项目名称",
        "全年预算数（万元）",
        "自评得分",
        "审核得分",
        "复核得分",
        "等级依据",
        "评价等级",
        "规则建议",
        "应用建议",
        "调整理由",
    ]
    by_name = {row[2].value: row for row in sheet.iter_rows(min_row=4) if row[2].value}
    platform = by_name["政务一体化平台建设"]
    assert [c.value for c in platform] == [
        2,
        "咸宁市政务服务和大数据管理局",
        "政务一体化平台建设",
        300,
        98.67,
        None,
        75,
        "复核分",
        "中",
        "压减",
        "压减",
        None,
    ]
    assert platform[4].number_format.startswith("0.00") and platform[6].number_format.startswith(
        "0.00"
    )
    hotline_row = by_name["市政府12345公共服务热线项目建设及运维费"]
    assert [c.value for c in hotline_row][9:] == ["优先保障", "维持（已调整）", "=HYPERLINK(1)"]
    assert hotline_row[11].quotePrefix and hotline_row[11].data_type == "s"  # text, no formula
    assert hotline_row[10].font.bold
    department = by_name["部门整体支出"]
    assert department[3].value is None and department[3].comment is not None  # 无数据
    assert department[8].value == "未评价"


@pytest.mark.system_packages("poppler-utils")
def test_command_writes_xlsx_and_pdf(evaluated, tmp_path):
    out = io.StringIO()
    call_command(
        "export_tables",
        "--year",
        "2021",
        "--table",
        "results-application",
        "--format",
        "pdf",
        "--output",
        str(tmp_path) + "/",
        stdout=out,
    )
    pdf = tmp_path / "2021_全部单位_结果应用表.pdf"
    assert pdf.exists(), out.getvalue()
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for expected in ("绩效评价结果应用表", "政务一体化平台建设", "复核分", "压减", "优先保障"):
        assert expected in text, expected
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True
        )
        assert list(tmp_path.glob("page*.png"))
    call_command(
        "export_tables",
        "--year",
        "2021",
        "--table",
        "results-application",
        "--format",
        "xlsx",
        "--output",
        str(tmp_path / "r.xlsx"),
        stdout=out,
    )
    assert load_workbook(tmp_path / "r.xlsx").active["A1"].value == "绩效评价结果应用表"


def test_bundle_holds_the_table(evaluated):
    from reporting.models import ExportJob
    from reporting.tables import plan

    files = plan.files_for(ExportJob.Kind.BUNDLE, evaluated, {1, 2, 3}, set())
    assert files[-1].path == "2021_全部单位_结果应用表"


def test_page_override_refusal_keeps_the_reason_and_export(client, evaluated):
    client.force_login(users()["reviewer"])
    url = reverse("results_application") + "?year=2021"
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "政务一体化平台建设" in text and "压减" in text
    hotline = SelfEvaluation.objects.get(project__code=HOTLINE)
    response = client.post(
        url, {"evaluation": hotline.pk, "suggestion": "加倍", "reason": "我的理由"}
    )
    assert response.status_code == 200 and "我的理由" in response.content.decode()
    assert "请选择有效的建议" in response.content.decode()
    response = client.post(url, {"evaluation": hotline.pk, "suggestion": "压减", "reason": "理由"})
    assert response.status_code == 302
    assert ResultSuggestion.objects.get().suggestion == "压减"
    download = client.get(url + "&format=xlsx")
    assert unquote(download["Content-Disposition"]).endswith("2021_全部单位_结果应用表.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert any(c.value == "压减（已调整）" for row in sheet.iter_rows() for c in row)


def test_page_access(client, evaluated):
    hotline = SelfEvaluation.objects.get(project__code=HOTLINE)
    everyone = users()
    client.force_login(everyone["xn_clerk"])
    assert client.get(reverse("results_application")).status_code == 404
    post = {"evaluation": hotline.pk, "suggestion": "压减", "reason": "x"}
    assert client.post(reverse("results_application"), post).status_code == 404
    client.force_login(everyone["reviewer2"])  # 益阳 only
    page = client.get(reverse("results_application") + "?year=2021").content.decode()
    assert "政务一体化平台建设" not in page
    assert client.post(reverse("results_application") + "?year=2021", post).status_code == 404
    assert not ResultSuggestion.objects.exists()


def test_page_queries_do_not_grow(client, evaluated, django_assert_max_num_queries):
    from tests.factories import ProjectFactory, SelfEvaluationFactory

    client.force_login(users()["reviewer"])
    url = reverse("results_application") + "?year=2021"
    with django_assert_max_num_queries(14) as small:
        client.get(url)
    bureau = SelfEvaluation.objects.get(project__code=PLATFORM).department
    for _ in range(15):
        SelfEvaluationFactory(
            project=ProjectFactory(department=bureau, year=evaluated),
            state=FormState.APPROVED,
            total_score=D("70"),
        )
    with django_assert_max_num_queries(14) as big:
        assert "压减" in client.get(url).content.decode()
    assert len(small) == len(big)


# ---------------------------------------------------------------------------------------------
# 自评结果汇总表: 复核得分, 差异, flagged departments
# ---------------------------------------------------------------------------------------------


def test_summary_shows_recheck_difference_and_flags(evaluated):
    table = registry.summary_table(evaluated, None)
    rows = {}
    for row in range(3, table.n_rows):
        values = [c.value for c in sorted(table.cells, key=lambda c: c.col) if c.row == row]
        if len(values) == 12:
            rows[values[2]] = values
    platform = rows["政务一体化平台建设"]
    # |98.67 − 75| = 23.67 > 5: the bureau is flagged on each of its rows, and named below
    assert platform[1] == "咸宁市政务服务和大数据管理局（复核差异大）"
    assert platform[6:10] == [D("98.67"), "", D("75.00"), D("-23.67")]
    assert rows["大楼运维费"][1].endswith("（复核差异大）")
    assert not rows["市政府12345公共服务热线项目建设及运维费"][1].endswith("（复核差异大）")
    notes = [c.value for c in table.cells if str(c.value).startswith("抽查复核差异超过")]
    assert notes == [
        "抽查复核差异超过5.00分的单位：咸宁市政务服务和大数据管理局（平均差异23.67分，复核1份）。"
    ]
    # a higher threshold: nobody is flagged
    FiscalYear.objects.filter(pk=evaluated.pk).update(spot_check_difference_threshold=D("30"))
    table = registry.summary_table(2021, None)
    assert not [c for c in table.cells if "复核差异大" in str(c.value)]
