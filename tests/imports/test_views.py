"""The 批量导入 pages and the clerk's round trip of the 项目支出绩效自评表."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from budgets.models import Membership, Project
from core.models import AuditLog
from evaluations import services
from evaluations.models import IndicatorResult
from imports.models import ImportJob
from reporting.tables.registry import evaluation_table
from reporting.tables.xlsx import render_xlsx
from tests.factories import member
from tests.imports.conftest import snapshot, xlsx
from tests.report import covered

pytestmark = pytest.mark.django_db
PROJECT_HEADERS = ["年度", "单位编码", "项目编码", "项目名称", "全年预算数·本年财政拨款"]


@pytest.fixture(autouse=True)
def _commit_hooks(monkeypatch, django_capture_on_commit_callbacks):
    """Run the tasks enqueued on commit when each request ends, as after a real commit."""
    from django.test import Client

    real = Client.post

    def post(self, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return real(self, *args, **kwargs)

    monkeypatch.setattr(Client, "post", post)


def upload(client, data: bytes, name="p.xlsx", **fields):
    return client.post(
        reverse("imports"),
        {"file": SimpleUploadedFile(name, data), **fields},
    )


def test_upload_preview_confirm(client, admin_user, tree, fiscal_year):
    client.force_login(admin_user)
    data = xlsx(PROJECT_HEADERS, [[2025, "100001", "P-1", "大厅运行", 10]])
    response = upload(client, data, kind="projects")
    job = ImportJob.objects.get()
    assert response.url == reverse("import_job", args=[job.pk])
    assert job.state == ImportJob.State.READY and Project.objects.count() == 0
    page = client.get(response.url).content.decode()
    assert "确认导入" in page and "新增" in page and "大厅运行" in page
    assert client.get(reverse("import_status", args=[job.pk])).json()["state"] == "ready"
    client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and Project.objects.count() == 1
    assert "已导入" in client.get(response.url).content.decode()
    # confirming twice does nothing more
    client.post(reverse("import_confirm", args=[job.pk]))
    assert Project.objects.count() == 1
    log = AuditLog.objects.get(action="批量导入·项目及资金")  # exactly one, with who and what
    assert log.actor == admin_user and log.object_id == str(job.pk)
    assert log.changes["counts"]["new"] == 1 and "2025 P-1 大厅运行" in log.changes["rows"]


def test_failed_rows_workbook_round_trip(client, admin_user, tree, fiscal_year):
    client.force_login(admin_user)
    headers = [*PROJECT_HEADERS, "我的备注"]
    rows = [[2025, "100001", "P-1", "好行", 10, "甲"], [2025, "100001", "P-2", "坏行", "十", "乙"]]
    upload(client, xlsx(headers, rows), kind="projects")
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.INVALID
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "第3行" in page and "必须是数字" in page and "整个文件未导入" in page
    response = client.get(reverse("import_failed", args=[job.pk]))
    book = openpyxl.load_workbook(
        io.BytesIO(
            b"".join(
                response.streaming_content
                if hasattr(response, "streaming_content")
                else [response.content]
            )
        )
    )
    ws = book["数据"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == [*headers, "错误说明"]  # the user's own columns, in their order
    assert values[1][:6] == [2025, "100001", "P-2", "坏行", "十", "乙"]  # only the failed row
    assert "必须是数字" in values[1][6] and "原第3行" in values[1][6]
    bad = ws.cell(row=2, column=5)
    assert bad.fill.fgColor.rgb.endswith("FFC7CE") and "必须是数字" in bad.comment.text
    assert ws.max_row == 2
    ws.cell(row=2, column=5).value = 10  # fixed
    fixed = io.BytesIO()
    book.save(fixed)
    upload(client, fixed.getvalue(), name="p-错误行.xlsx", kind="projects")
    again = ImportJob.objects.order_by("-pk").first()
    assert again.state == ImportJob.State.READY, again.errors
    assert again.notes == ["以下列不属于模板，导入时忽略：我的备注、错误说明"]


def test_templates_only_for_permitted_kinds(client, tree, fiscal_year):
    clerk = member(tree["centre"])
    client.force_login(clerk)
    response = client.get(reverse("import_template") + "?kind=indicators")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["数据", "填写说明"]
    headers = [c.value for c in book["数据"][1]]
    assert headers[:6] == ["年度*", "项目编码", "单位编码", "一级指标*", "二级指标*", "三级指标*"]
    validations = book["数据"].data_validations.dataValidation
    assert any(v.formula1 == '"≥,>,=,≤,<,定性"' for v in validations)
    assert "填写说明" in book["填写说明"]["A1"].value
    assert client.get(reverse("import_template") + "?kind=departments").status_code == 404
    assert client.get(reverse("import_template") + "?kind=projects").status_code == 404
    page = client.get(reverse("imports")).content.decode()
    assert "绩效目标（三级指标）" in page and "项目及资金" not in page
    assert upload(client, b"x", kind="departments").status_code == 302
    assert ImportJob.objects.count() == 0


def test_import_pages_list_only_own_jobs(client, tree, fiscal_year):
    owner, other = member(tree["centre"]), member(tree["centre"])
    reviewer = member(tree["bureau"], role=Membership.Role.REVIEWER)
    client.force_login(reviewer)
    upload(client, xlsx(PROJECT_HEADERS, [[2025, "100001", "P-1", "x", 1]]), kind="projects")
    job = ImportJob.objects.get()
    for user in (owner, other):
        client.force_login(user)
        assert "p.xlsx" not in client.get(reverse("imports")).content.decode()
        for name in ("import_job", "import_status", "import_failed"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404
        assert client.post(reverse("import_confirm", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.state == ImportJob.State.READY
    nobody = member(tree["other"], role=Membership.Role.CLERK)
    nobody.memberships.all().delete()
    client.force_login(nobody)
    assert client.get(reverse("imports")).status_code == 404


# ----------------------------------------------------------------------------- round trip


def fill(table_bytes: bytes, values: dict[str, tuple]) -> bytes:
    """Fill the downloaded table as a clerk does: 实际完成值, 得分, 偏差原因 by 三级指标."""
    book = openpyxl.load_workbook(io.BytesIO(table_bytes))
    ws = book.worksheets[0]
    for row in ws.iter_rows():
        name = row[2].value
        if name in values:
            actual, score, reason = values[name]
            row[4].value, row[6].value, row[7].value = actual, score, reason
        if row[4].value == "实际完成情况":
            ws.cell(row=row[4].row + 1, column=5).value = "全年目标基本完成"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_clerk_round_trip_of_the_self_evaluation_table(client, sheet, clerk):
    evaluation = services.evaluation_start(user=clerk, project_id=sheet.project_id)
    client.force_login(clerk)
    downloaded = render_xlsx([evaluation_table(evaluation)])  # what 导出Excel gives the clerk
    filled = fill(
        downloaded,
        {
            "话务平台接听量": ("48万件", None, None),
            "设施维修时间": ("3", 12, "配件到货慢"),
            "保障大厅正常运行": ("达成年度指标", 30, None),
            "群众满意率": ("96", 10, None),
        },
    )
    url = reverse("evaluation_import", args=[evaluation.pk])
    response = client.post(url, {"file": SimpleUploadedFile("自评表.xlsx", filled)})
    job = ImportJob.objects.get()
    assert response.url == reverse("import_job", args=[job.pk])
    assert job.state == ImportJob.State.READY, (job.message, job.errors)
    page = client.get(response.url).content.decode()
    assert "48" in page and "配件到货慢" in page and "全年目标基本完成" in page
    assert IndicatorResult.objects.filter(actual_value="48").count() == 0  # preview only
    client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.message
    lines = {r.indicator.name: r for r in evaluation.results.select_related("indicator")}
    assert lines["话务平台接听量"].actual_value == "48"
    assert lines["话务平台接听量"].score == Decimal("30")  # blank: the suggestion
    assert lines["设施维修时间"].score == Decimal("12")
    assert lines["保障大厅正常运行"].level == "achieved"
    evaluation.refresh_from_db()
    assert evaluation.actual_text == "全年目标基本完成" and evaluation.total_score is not None
    # 执行率 and 总分 left as exported: nothing stated, nothing flagged
    assert evaluation.stated_total_score is None and evaluation.stated_execution_rate is None
    assert (
        AuditLog.objects.filter(action="绩效自评·保存", object_id=str(evaluation.pk)).count() == 1
    )


def test_round_trip_applies_the_form_rules_and_the_version_lock(client, sheet, clerk):
    evaluation = services.evaluation_start(user=clerk, project_id=sheet.project_id)
    client.force_login(clerk)
    downloaded = render_xlsx([evaluation_table(evaluation)])
    url = reverse("evaluation_import", args=[evaluation.pk])
    bad = fill(downloaded, {"话务平台接听量": ("48", 99, None)})
    before = snapshot()
    client.post(url, {"file": SimpleUploadedFile("自评表.xlsx", bad)})
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.INVALID
    assert any("得分" in h for _, h, _ in job.errors)
    assert snapshot() == before
    # someone saves the form between the preview and the confirmation: the upload loses
    good = fill(downloaded, {"话务平台接听量": ("48", None, None)})
    client.post(url, {"file": SimpleUploadedFile("自评表.xlsx", good)})
    job = ImportJob.objects.order_by("-pk").first()
    assert job.state == ImportJob.State.READY
    data = services.EvaluationInput("网页上填的", "", "", "", [])
    services.evaluation_save(
        evaluation=evaluation, user=clerk, data=data, version=evaluation.version
    )
    client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and "已被他人修改" in job.message
    evaluation.refresh_from_db()
    assert evaluation.actual_text == "网页上填的"


def test_round_trip_refuses_another_projects_table(client, sheet, clerk, tree, open_year):
    from tests.factories import IndicatorFactory, ProjectFactory, TargetSheetFactory

    evaluation = services.evaluation_start(user=clerk, project_id=sheet.project_id)
    other = ProjectFactory(department=tree["centre"], year=open_year, name="另一个项目")
    other_sheet = TargetSheetFactory(project=other, state="approved")
    IndicatorFactory(sheet=other_sheet)
    other_eval = services.evaluation_start(user=clerk, project_id=other.pk)
    data = render_xlsx([evaluation_table(other_eval)])
    client.force_login(clerk)
    client.post(
        reverse("evaluation_import", args=[evaluation.pk]),
        {"file": SimpleUploadedFile("自评表.xlsx", data)},
    )
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED and "不一致" in job.message


def test_round_trip_keeps_a_typed_total_as_stated_and_flags_it(client, sheet, clerk):
    evaluation = services.evaluation_start(user=clerk, project_id=sheet.project_id)
    client.force_login(clerk)
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx([evaluation_table(evaluation)])))
    ws = book.worksheets[0]
    for row in ws.iter_rows():
        if row[0].value == "总分":
            row[6].value = 95  # the clerk's own sum
        if row[1].value == "年度资金总额":
            row[6].value = "80%"  # typed as text
    out = io.BytesIO()
    book.save(out)
    client.post(
        reverse("evaluation_import", args=[evaluation.pk]),
        {"file": SimpleUploadedFile("自评表.xlsx", out.getvalue())},
    )
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.READY, (job.message, job.errors)
    assert any("表中填写的总分为95.00" in n for n in job.notes)
    assert any("表中填写的执行率为80.00%" in n for n in job.notes)
    client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.message
    evaluation.refresh_from_db()
    assert evaluation.stated_total_score == Decimal("95")
    assert evaluation.stated_execution_rate == Decimal("0.8")
    stated = [f["message"] for f in evaluation.flags if f["code"] == "stated_mismatch"]
    assert len(stated) == 2 and "应为74.87%" in stated[0]
    page = client.get(reverse("evaluation", args=[evaluation.pk])).content.decode()
    assert "原表数字与计算不符" in page


# ------------------------------------------------------- the offline table: bad files and cells


def _post_table(client, evaluation, data: bytes, name: str = "自评表.xlsx"):
    url = reverse("evaluation_import", args=[evaluation.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, data)}, follow=True)


def _rewrite(data: bytes, transform) -> bytes:
    """The same XLSX with its first sheet's XML rewritten (what no spreadsheet program writes)."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = transform(content)
            dst.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("label", "data", "name", "message"),
    [
        ("空文件", b"", "自评表.xlsx", "文件为空，未导入"),
        ("只有空白", b"  \n", "自评表.xlsx", "文件为空"),
        ("不是 XLSX", b"hello", "自评表.xlsx", "请上传从本系统导出的 .xlsx"),
        ("压缩结构损坏", b"PK\x03\x04" + b"\x00" * 200, "自评表.xlsx", "压缩结构损坏"),
        ("缺少工作簿结构", None, "自评表.xlsx", "缺少工作簿结构"),
    ],
)
def test_offline_table_refuses_an_empty_or_broken_file_on_the_form(
    client, sheet, clerk, label, data, name, message
):
    """Refused on the evaluation's page with a Chinese message (was a 500: ImportRefused not
    caught); no job, nothing saved."""
    if data is None:
        import zipfile

        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("hello.txt", "hi")
        data = out.getvalue()
    evaluation = services.evaluation_start(user=clerk, project_id=sheet.project_id)
    client.force_login(clerk)
    before = snapshot()
    response = _post_table(client, evaluation, data, name)
    assert response.status_code == 200, label
    assert response.redirect_chain[-1][0] == reverse("evaluation", args=[evaluation.pk])
    assert message in response.content.decode(), label
    assert not ImportJob.objects.exists() and snapshot() == before


def _with_formulas(table: bytes) -> bytes:
    """The clerk's table with formulas in the last indicator line's 实际完成值 and in the
    实际完成情况 cell: the two places the check, one row off, let through."""
    book = openpyxl.load_workbook(io.BytesIO(table))
    ws = book.worksheets[0]
    last_line = None
    for row in ws.iter_rows():
        if row[2].value and row[0].row > 1 and row[3].value not in (None, "年度指标值"):
            last_line = row[0].row
        if row[4].value == "实际完成情况":
            ws.cell(row=row[4].row + 1, column=5).value = '=HYPERLINK("http://evil","完成")'
    ws.cell(row=last_line, column=5).value = "=1+1"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_offline_table_formula_in_the_last_line_and_in_the_overall_text(client, sheet, clerk):
    evaluation = services.evaluation_start(user=clerk, project_id=sheet.project_id)
    client.force_login(clerk)
    data = _with_formulas(render_xlsx([evaluation_table(evaluation)]))
    _post_table(client, evaluation, data)
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.INVALID, (job.message, job.errors)
    headers = {header for _, header, message in job.errors if "公式" in message}
    assert headers == {"实际完成值", "实际完成情况"}, job.errors
    formula_rows = {row["label"] for row in job.preview if any("公式" in e for e in row["errors"])}
    assert "年度总体目标与资金" in formula_rows
    assert any(label.endswith("群众满意率") for label in formula_rows), formula_rows


def test_offline_table_unreadable_cell_is_a_row_error(client, sheet, clerk):
    """A number cell holding text in 得分 (a hand-edited or damaged file): an error on its line,
    not a crash leaving the job at 检查中."""
    evaluation = services.evaluation_start(user=clerk, project_id=sheet.project_id)
    client.force_login(clerk)
    filled = fill(render_xlsx([evaluation_table(evaluation)]), {"设施维修时间": ("3", 12, "")})
    broken = _rewrite(filled, lambda xml: xml.replace(b"<v>12</v>", b"<v>abc</v>", 1))
    assert broken != filled
    _post_table(client, evaluation, broken)
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.INVALID, (job.message, job.errors)
    assert any("“abc”与单元格类型不符" in message for _, _, message in job.errors), job.errors


def test_offline_table_stated_figure_no_column_holds_is_an_error(client, sheet, clerk):
    """执行率 typed as 1e300: the job ends with the figure named (was InvalidOperation out of the
    task, the job at 检查中 for ever)."""
    evaluation = services.evaluation_start(user=clerk, project_id=sheet.project_id)
    client.force_login(clerk)
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx([evaluation_table(evaluation)])))
    for row in book.worksheets[0].iter_rows():
        if row[1].value == "年度资金总额":
            row[6].value = 1e300
    out = io.BytesIO()
    book.save(out)
    _post_table(client, evaluation, out.getvalue())
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.INVALID, (job.state, job.message)
    assert any("执行率" in header for _, header, _ in job.errors), job.errors


def test_failed_job_shows_its_reason_on_its_page_and_in_the_list(client, admin_user, tree):
    client.force_login(admin_user)
    upload(client, b"hello", name="p.xlsx", kind="projects")
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "已失败" in page and "失败原因" in page and "内容不是有效的 Excel" in page
    listing = client.get(reverse("imports")).content.decode()
    assert "已失败" in listing and "内容不是有效的 Excel" in listing


def test_offline_table_with_a_dimension_bomb_reads_only_its_cells(client, sheet, clerk):
    """The clerk's table made to declare A1:XFD1048576 with content in A1048576 and XFD1048576:
    read in a blink, refused for its length (was: every row padded to 16,384 cells)."""
    import re
    import time

    evaluation = services.evaluation_start(user=clerk, project_id=sheet.project_id)
    client.force_login(clerk)
    table = render_xlsx([evaluation_table(evaluation)])

    def bomb(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', xml)
        far = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c>'
        far += b'<c r="XFD1048576"><v>1</v></c></row>'
        return xml.replace(b"</sheetData>", far + b"</sheetData>")

    started = time.perf_counter()
    _post_table(client, evaluation, _rewrite(table, bomb))
    elapsed = time.perf_counter() - started
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED and "行数过多" in job.message, job.message
    covered(f"导入：离线自评表被改为尺寸炸弹（A1:XFD1048576）→ 已失败，用时 {elapsed:.3f} s")
