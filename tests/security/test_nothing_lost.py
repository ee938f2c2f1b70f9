"""Nothing lost: concurrent edits, and one audit record per mutation.

Concurrent edits: two people of one unit open the same form; the first saves; the second's save is
refused with a message, the first's values survive, and the second's typed values are still on
the page (on top of the version now saved, so that saving again after checking is deliberate).

Audit: every mutation through a page (form save, each transition, start, evidence, 目标调整,
延期) and through the Django admin (add, change, inline change, delete) leaves exactly one
AuditLog record naming who, when and what changed (old → new). A page's "提交审核" is a save then
a transition: two mutations, two records. Management commands: cleanup_exports changes only export
bookkeeping (export jobs carry their own who, when and state, and are not audited) and
export_tables writes no row at all. Imports (and load_demo, which runs through them) are covered
by the import tests.
"""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from budgets.models import Department, FiscalYear, Membership
from core.models import AuditLog
from evaluations.models import FormState, TargetAdjustment, TargetSheet
from reporting.models import ExportJob
from tests.factories import GOOD, ProjectFactory, grid_post, post_data
from tests.report import covered
from tests.security import dbstate
from tests.security.conftest import grid_rows, put, reload, service_action

pytestmark = pytest.mark.django_db
S = FormState


def _clients(world) -> dict[str, Client]:
    clients = {}
    for role, user in world.users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    return clients


# --------------------------------------------------------------------------------------------
# Two concurrent edits
# --------------------------------------------------------------------------------------------


def test_concurrent_target_edits(world):
    clients = _clients(world)
    sheet = world.sheet
    first_rows, second_rows = grid_rows(sheet), grid_rows(sheet)
    first_rows[0]["target_value"] = "50"
    second_rows[0]["target_value"] = "77"
    # both opened the page at the same version
    first = grid_post(sheet, first_rows, goal="填报人的目标")
    second = grid_post(sheet, second_rows, goal="负责人的目标")
    url = reverse("target_sheet", args=[sheet.pk])
    audits = AuditLog.objects.count()
    assert clients["clerk"].post(url, first).status_code == 302
    response = clients["head"].post(url, second)
    page = response.content.decode()
    # the second is refused, with the reason
    assert response.status_code == 200 and "该表单已被他人修改" in page
    # the first survives
    sheet = reload(sheet)
    assert sheet.overall_goal == "填报人的目标"
    assert sheet.indicators.get(pk=first_rows[0]["id"]).target_value == "50"
    assert AuditLog.objects.count() == audits + 1
    # the second user's input is still on screen, on top of the version now saved
    assert "负责人的目标" in page and 'value="77"' in page
    assert f'name="version" value="{sheet.version}"' in page
    # saving it again after checking is a deliberate overwrite, and it goes through
    again = grid_post(sheet, second_rows, goal="负责人的目标")
    assert clients["head"].post(url, again).status_code == 302
    assert reload(sheet).overall_goal == "负责人的目标"


def test_concurrent_evaluation_edits(world):
    clients = _clients(world)
    evaluation = world.evaluation
    line = evaluation.results.get(indicator__name="话务平台接听量")
    first = post_data(evaluation, GOOD, actual_text="填报人的说明")
    first[f"actual-{line.pk}"] = "48"
    second = post_data(evaluation, GOOD, actual_text="负责人的说明")
    second[f"actual-{line.pk}"] = "46.5"
    url = reverse("evaluation", args=[evaluation.pk])
    audits = AuditLog.objects.count()
    assert clients["clerk"].post(url, first).status_code == 302
    response = clients["head"].post(url, second)
    page = response.content.decode()
    assert response.status_code == 200 and "该表单已被他人修改" in page
    evaluation = reload(evaluation)
    line.refresh_from_db()
    assert evaluation.actual_text == "填报人的说明" and line.actual_value == "48"
    assert AuditLog.objects.count() == audits + 1
    assert "负责人的说明" in page and 'value="46.5"' in page
    assert f'name="version" value="{evaluation.version}"' in page
    covered(
        "并发编辑：后保存者被拒绝并提示，先保存者的数据保留，后保存者的输入仍在页面上（两类表单）"
    )


# --------------------------------------------------------------------------------------------
# One audit record per mutation
# --------------------------------------------------------------------------------------------

PATHS: list[str] = []  # the mutation paths checked, for the report


@contextmanager
def one_record(path: str, actor, action: str | None = None) -> Iterator[list[AuditLog]]:
    """Exactly one new AuditLog inside the block, by `actor`, stamped within the block."""
    last = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    start = timezone.now()
    found: list[AuditLog] = []
    yield found
    records = list(AuditLog.objects.filter(pk__gt=last).select_related("actor"))
    assert len(records) == 1, (path, [(r.action, r.changes) for r in records])
    record = records[0]
    assert record.actor == actor, (path, record.actor)
    assert start - timedelta(seconds=1) <= record.at <= timezone.now(), path
    if action:
        assert record.action == action, (path, record.action)
    found.append(record)
    PATHS.append(path)


def _pairs(changes: dict) -> list[list]:
    """Every [old, new] pair in a record's changes, nested ones included."""
    found = []
    for value in changes.values():
        if isinstance(value, list) and len(value) == 2:
            found.append(value)
        elif isinstance(value, dict):
            found += _pairs(value)
    return found


def _has_old_and_new(record: AuditLog, old, new) -> bool:
    return [old, new] in _pairs(record.changes)


def test_each_page_mutation_leaves_one_audit_record(world):
    clients = _clients(world)
    users = world.users
    sheet, evaluation = world.sheet, world.evaluation
    sheet_url = reverse("target_sheet", args=[sheet.pk])
    evaluation_url = reverse("evaluation", args=[evaluation.pk])

    # form saves
    rows = grid_rows(sheet)
    rows[1]["target_value"] = "3"
    with one_record("绩效目标·保存（页面）", users["clerk"], "绩效目标·保存") as rec:
        clients["clerk"].post(sheet_url, grid_post(sheet, rows, goal="新目标"))
    assert _has_old_and_new(rec[0], "年度目标", "新目标") and _has_old_and_new(rec[0], "2", "3")
    line = evaluation.results.get(indicator__name="话务平台接听量")
    data = post_data(evaluation, GOOD, actual_text="新说明")
    data[f"actual-{line.pk}"] = "49"
    with one_record("绩效自评·保存（页面）", users["clerk"], "绩效自评·保存") as rec:
        clients["clerk"].post(evaluation_url, data)
    assert _has_old_and_new(rec[0], "47", "49")

    # every transition of both forms, through the pages
    def transition(form, url, role, action, **extra):
        form = reload(form)
        body = {"action": action, "reason": "意见", "version": form.version, **extra}
        label = {"targets": "绩效目标", "evaluation": "绩效自评"}[
            "targets" if isinstance(form, TargetSheet) else "evaluation"
        ]
        verb = {
            "confirm": "确认送审",
            "head_return": "退回填报人",
            "return": "退回",
            "approve": "审核通过",
            "reopen": "重新打开",
        }[action]
        before = form.state
        with one_record(f"{label}·{verb}", users[role], f"{label}·{verb}") as rec:
            response = clients[role].post(url, body)
        assert response.status_code == 302, (label, action)
        assert rec[0].changes["state"] == [before, reload(form).state]
        return rec[0]

    for form, url in ((sheet, sheet_url), (evaluation, evaluation_url)):
        label = "绩效目标" if form is sheet else "绩效自评"
        form = put(form, S.DRAFT)
        with one_record(f"{label}·提交（服务）", users["clerk"], f"{label}·提交") as rec:
            service_action(form, users["clerk"], "submit", "")
        assert rec[0].changes["state"] == [S.DRAFT, S.SUBMITTED]
        put(form, S.PENDING_HEAD)
        transition(form, url, "head", "head_return")
        put(form, S.PENDING_HEAD)
        transition(form, url, "head", "confirm")
        transition(form, url, "reviewer", "return")
        put(form, S.SUBMITTED)
        if form is evaluation:  # an approval carrying review scores: still one record
            review = evaluation.results.get(indicator__name="保障大厅正常运行")
            record = transition(form, url, "reviewer", "approve", **{f"review-{review.pk}": "27"})
            assert record.changes["results"]["保障大厅正常运行"]["review_score"][1] == "27"
        else:
            transition(form, url, "reviewer", "approve")
        transition(form, url, "reviewer", "reopen")

    # starting a form, evidence, 目标调整, 延期
    project = ProjectFactory(department=sheet.department, year=sheet.year, code="T-2")
    with one_record("绩效目标·创建", users["clerk"], "绩效目标·创建"):
        clients["clerk"].post(reverse("target_sheet_start"), {"project": project.pk})
    evaluation = put(evaluation, S.DRAFT)
    pdf = SimpleUploadedFile("佐证.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    with one_record("佐证材料·上传", users["clerk"], "佐证材料·上传") as rec:
        clients["clerk"].post(
            reverse("evidence_upload", args=[evaluation.pk]), {"result": line.pk, "file": pdf}
        )
    assert _has_old_and_new(rec[0], None, "佐证.pdf")
    evidence = line.evidence.get()
    with one_record("佐证材料·删除", users["clerk"], "佐证材料·删除"):
        clients["clerk"].post(reverse("evidence_delete", args=[evidence.pk]))
    until = timezone.localdate() + timedelta(days=60)
    with one_record("绩效自评·延期", users["reviewer"], "绩效自评·延期") as rec:
        clients["reviewer"].post(
            evaluation_url, {"action": "extend", "until": until.isoformat(), "reason": "系统故障"}
        )
    assert _has_old_and_new(rec[0], None, until.isoformat())
    approved = TargetSheet.objects.get(project=evaluation.project)
    indicator = approved.indicators.get(name="话务平台接听量")
    approved_url = reverse("target_sheet", args=[approved.pk])
    with one_record("目标调整·申请", users["clerk"], "目标调整·申请") as rec:
        clients["clerk"].post(
            approved_url,
            {
                "action": "adjust_request",
                "indicator": indicator.pk,
                "new_value": "40",
                "adjust_reason": "政策调整",
            },
        )
    assert _has_old_and_new(rec[0], "45", "40")
    adjustment = TargetAdjustment.objects.get()
    with one_record("目标调整·同意", users["reviewer"], "目标调整·同意"):
        clients["reviewer"].post(
            approved_url, {"action": "adjust_approve", "adjustment": adjustment.pk}
        )


def test_each_admin_mutation_leaves_one_audit_record(world):
    admin = _clients(world)["admin"]
    root = world.users["admin"]
    department = Department.objects.get(code="200")
    url = reverse("admin:budgets_department_change", args=[department.pk])
    with one_record("后台修改（单位）", root, "后台修改") as rec:
        admin.post(
            url, {"code": "200", "name": "市教育局（更名）", "kind": "行政", "is_active": "on"}
        )
    assert _has_old_and_new(rec[0], "市教育局", "市教育局（更名）")

    with one_record("后台新增（用户角色）", root, "后台新增"):
        admin.post(
            reverse("admin:budgets_membership_add"),
            {"user": world.users["head"].pk, "department": department.pk, "role": "clerk"},
        )
    membership = Membership.objects.get(department=department)
    with one_record("后台删除（用户角色）", root, "后台删除"):
        admin.post(
            reverse("admin:budgets_membership_delete", args=[membership.pk]), {"post": "yes"}
        )
    assert not Membership.objects.filter(pk=membership.pk).exists()

    year = FiscalYear.objects.get(pk=world.sheet.year_id)
    fields = {
        f: getattr(year, f)
        for f in (
            "year",
            "execution_weight",
            "indicator_weight",
            "band_achieved_low",
            "band_partial_low",
            "grade_excellent",
            "grade_good",
            "grade_pass",
            "score_places",
            "percent_places",
            "deviation_execution_threshold",
            "sample_percent",
            "sample_min_per_department",
            "sample_low_execution",
            "spot_check_difference_threshold",
        )
    }
    body = {k: "" if v is None else v for k, v in fields.items()}
    body.update(
        is_current="on",
        evaluation_open="on",
        evaluation_deadline=(timezone.localdate() + timedelta(days=90)).isoformat(),
    )
    with one_record("后台修改（年度，经服务）", root, "修改年度") as rec:
        response = admin.post(reverse("admin:budgets_fiscalyear_change", args=[year.pk]), body)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "evaluation_deadline" in rec[0].changes

    # an inline line of a form still with the unit: one record, for the line
    sheet = put(world.sheet, S.DRAFT)
    indicator = sheet.indicators.order_by("order").first()
    data = {
        "year": sheet.year_id,
        "department": sheet.department_id,
        "project": sheet.project_id,
        "overall_goal": sheet.overall_goal,
        "indicators-TOTAL_FORMS": 1,
        "indicators-INITIAL_FORMS": 1,
        "indicators-MIN_NUM_FORMS": 0,
        "indicators-MAX_NUM_FORMS": 1000,
        "indicators-0-id": indicator.pk,
        "indicators-0-sheet": sheet.pk,
        "indicators-0-order": indicator.order,
        "indicators-0-category": indicator.category_id,
        "indicators-0-name": indicator.name,
        "indicators-0-comparator": indicator.comparator,
        "indicators-0-target_value": "60",
        "indicators-0-unit": indicator.unit,
        "indicators-0-weight": indicator.weight,
        "indicators-0-basis": indicator.basis,
        "indicators-0-adjusted_target_value": "",
    }
    with one_record("后台修改（表单内的指标行）", root, "后台修改") as rec:
        response = admin.post(
            reverse("admin:evaluations_targetsheet_change", args=[sheet.pk]), data
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert rec[0].object_type == "evaluations.Indicator"
    assert _has_old_and_new(rec[0], indicator.target_value, "60")


def test_management_commands(world, django_capture_on_commit_callbacks, tmp_path):
    """cleanup_exports touches export bookkeeping only (jobs and their files), export_tables
    nothing at all; neither writes an audit record, as neither changes business data."""
    clerk = world.users["clerk"]
    evaluation = world.evaluation
    with django_capture_on_commit_callbacks(execute=True):
        job = ExportJob.objects.create(
            created_by=clerk,
            year=evaluation.year,
            kind=ExportJob.Kind.PROJECT,
            format="xlsx",
            department_ids=[evaluation.department_id],
        )
    ExportJob.objects.filter(pk=job.pk).update(
        state="running", heartbeat=timezone.now() - timedelta(hours=1), attempts=1
    )
    before, audits = dbstate.digest(), AuditLog.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("cleanup_exports", stdout=io.StringIO())
    job.refresh_from_db()
    assert job.state == "done"  # requeued and run
    assert dbstate.changed(before, dbstate.digest()) == ["evaluations_exportjob", "media"]
    assert AuditLog.objects.count() == audits

    before = dbstate.digest()
    call_command(
        "export_tables",
        "--year",
        str(evaluation.year.year),
        "--table",
        "project-self-evaluation",
        "--format",
        "xlsx",
        "--output",
        str(tmp_path / "out.xlsx"),
        stdout=io.StringIO(),
    )
    assert (tmp_path / "out.xlsx").exists()
    assert dbstate.digest() == before
    PATHS.extend(["cleanup_exports（仅导出任务）", "export_tables（不写数据库）"])

    covered(
        f"审计记录：{len(PATHS)} 条修改路径（页面、流转、后台、管理命令）各恰好一条记录"
        f"（谁、何时、旧值→新值），管理命令不改业务数据"
    )
