"""The access walk's world and machinery (see test_access_walk.py): the victim and the attackers,
the URL classification (OBJECT_URLS, NO_OBJECT_URLS) and the resolver enumeration. Shared by the
walk, the web checks and the fuzzer; its fixtures are offered by this package's conftest."""

import datetime
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from budgets.access import access_for
from budgets.models import Department, FiscalYear, Project
from evaluations import services
from evaluations.models import (
    Evidence,
    FormState,
    IndicatorResult,
    MonitoringRound,
    MonitoringSheet,
    NoticeEvidence,
    NoticeState,
    RectificationNotice,
    SelfEvaluation,
    TargetAdjustment,
    TargetSheet,
)
from reporting import exports
from reporting.models import ExportJob
from reporting.tables.registry import evaluation_table, monitoring_table
from reporting.tables.xlsx import render_xlsx
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

VICTIM_CODE = "101"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "攻击者上传.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


# --------------------------------------------------------------------------------------------
# Fixture data: the demo, plus what it lacks for the victim.
# --------------------------------------------------------------------------------------------


@dataclass
class Victim:
    bureau: Department
    subtree: list[Department]
    year: FiscalYear
    submitted_sheet: TargetSheet  # a project's 绩效目标 waiting for review
    approved_sheet: TargetSheet  # a project's approved 绩效目标 (目标调整 possible)
    department_sheet: TargetSheet  # the bureau's 部门整体 绩效目标
    unit_sheet: TargetSheet  # a sheet of 所属单位 101002 (热线中心)
    evaluation: SelfEvaluation  # the project self-evaluation in draft, with evidence
    department_evaluation: SelfEvaluation  # the bureau's 部门整体 self-evaluation in draft
    unit_evaluation: SelfEvaluation  # the self-evaluation of 所属单位 101002
    result: IndicatorResult  # a line of `evaluation`
    evidence: Evidence
    unit_evidence: Evidence
    adjustment: TargetAdjustment  # pending, on `approved_sheet`
    export: ExportJob  # done, requested by xn_clerk for the bureau's subtree
    department_export: ExportJob  # done, for the bureau alone
    project_without_sheet: Project  # target_sheet_start must not create a sheet for it
    project_without_evaluation: Project  # approved targets, no self-evaluation yet
    evidence_bytes: bytes = b""
    import_job: object = None  # an indicators import by the victim's clerk, with errors
    bulk_job: object = None  # a 批量审核 by the victim's reviewer (of an approved sheet: refused)
    notice: object = None  # a 整改通知 of `evaluation`, with the unit's file, 待整改
    unit_notice: object = None  # a 整改通知 of `unit_evaluation`, answered (finance decides)
    notice_file: object = None
    spot_check: object = (
        None  # a 抽查 by the victim's reviewer of the bureau's and the unit's forms
    )

    @property
    def ids(self) -> set[int]:
        return {d.id for d in self.subtree}


def _subtree(root: Department) -> list[Department]:
    found, frontier = [root], [root]
    while frontier:
        children = list(Department.objects.filter(parent__in=frontier))
        found += children
        frontier = children
    return found


@pytest.fixture
def victim(django_capture_on_commit_callbacks) -> Victim:
    call_command("load_demo", stdout=io.StringIO())
    users = {u.username: u for u in get_user_model().objects.all()}
    clerk = users["xn_clerk"]
    bureau = Department.objects.get(code=VICTIM_CODE)
    year = FiscalYear.objects.get(year=2021)
    evaluation = SelfEvaluation.objects.get(project__code="2021-101-001")
    # The demo has no 部门整体 self-evaluation for 咸宁: the bureau's clerk starts one.
    department_evaluation = services.evaluation_start(
        user=clerk, department_id=bureau.id, year_id=year.id
    )
    unit_evaluation = SelfEvaluation.objects.get(project__code="2021-101002-001")
    assert {evaluation.state, department_evaluation.state, unit_evaluation.state} == {
        FormState.DRAFT
    }
    # A 绩效目标 in SUBMITTED state: the demo approves every 2021 sheet, so one (of a project that
    # has no self-evaluation) is put back to 已提交 as if the clerk had just submitted it.
    submitted_sheet = TargetSheet.objects.get(project__code="2021-101-003")
    assert not SelfEvaluation.objects.filter(project=submitted_sheet.project).exists()
    TargetSheet.objects.filter(pk=submitted_sheet.pk).update(
        state=FormState.SUBMITTED, approved_at=None
    )
    submitted_sheet.refresh_from_db()
    approved_sheet = TargetSheet.objects.get(project__code="2021-101-001")
    assert approved_sheet.state == FormState.APPROVED

    result = evaluation.results.select_related("indicator").order_by("id").first()
    evidence = services.evidence_add(result=result, user=clerk, upload=pdf("佐证材料.pdf"))
    unit_result = unit_evaluation.results.order_by("id").first()
    unit_evidence = services.evidence_add(
        result=unit_result, user=clerk, upload=pdf("热线佐证.pdf")
    )
    indicator = (
        approved_sheet.indicators.exclude(comparator="定性").order_by("id").first()
        or approved_sheet.indicators.order_by("id").first()
    )
    adjustment = services.adjustment_request(
        indicator=indicator, user=clerk, new_value="12345", reason="政策调整"
    )
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.export_request(
            user=clerk, kind=ExportJob.Kind.PROJECT, fmt=ExportJob.Format.XLSX, year=year
        )
        department_export = exports.export_request(
            user=clerk,
            kind=ExportJob.Kind.DEPARTMENT,
            fmt=ExportJob.Format.XLSX,
            year=year,
            department_ids=[bureau.id],
        )
    for job in (export, department_export):
        job.refresh_from_db()
        assert job.state == ExportJob.State.DONE and job.file, job.error

    project_without_sheet = ProjectFactory(
        year=year, department=bureau, code="2021-101-900", name="咸宁未填目标的测试项目"
    )
    project_without_evaluation = Project.objects.get(code="2021-101-004")
    assert project_without_evaluation.target_sheet.state == FormState.APPROVED
    assert not SelfEvaluation.objects.filter(project=project_without_evaluation).exists()

    found = Victim(
        bureau=bureau,
        subtree=_subtree(bureau),
        year=year,
        submitted_sheet=submitted_sheet,
        approved_sheet=approved_sheet,
        department_sheet=TargetSheet.objects.get(year=year, department=bureau, project=None),
        unit_sheet=TargetSheet.objects.get(project__code="2021-101002-001"),
        evaluation=evaluation,
        department_evaluation=department_evaluation,
        unit_evaluation=unit_evaluation,
        result=result,
        evidence=evidence,
        unit_evidence=unit_evidence,
        adjustment=adjustment,
        export=export,
        department_export=department_export,
        project_without_sheet=project_without_sheet,
        project_without_evaluation=project_without_evaluation,
    )
    with evidence.file.open("rb") as handle:
        found.evidence_bytes = handle.read()
    found.import_job = _victim_import(clerk)
    found.bulk_job = services.bulk_review_start(
        user=get_user_model().objects.get(username="reviewer"),
        fiscal_year=year,
        action="approve",
        reason="",
        items=[("targets", approved_sheet.pk, approved_sheet.version)],
    )
    assert found.bulk_job.state == "done" and len(found.bulk_job.refused) == 1
    found.notice, found.unit_notice, found.notice_file = _victim_notices(found, clerk)
    found.spot_check = _victim_spot_check(found)
    assert {d.code for d in found.subtree} == {"101", "101001", "101002"}
    return found


def _victim_notices(v: "Victim", clerk):
    """Two 整改通知 (made directly: the demo's forms are drafts, and the subject's state is not
    what the walk tests): one waiting for the unit's answer, with a file; one answered."""
    reviewer = get_user_model().objects.get(username="reviewer")
    made = []
    for evaluation, state in (
        (v.evaluation, NoticeState.ISSUED),
        (v.unit_evaluation, NoticeState.ANSWERED),
    ):
        made.append(
            RectificationNotice.objects.create(
                year=v.year,
                department_id=evaluation.department_id,
                evaluation=evaluation,
                basis="差",
                title=evaluation.title,
                requirement="咸宁的整改要求",
                due_date=v.year.evaluation_deadline or datetime.date(2099, 1, 1),
                state=state,
                answer="咸宁的整改情况" if state == NoticeState.ANSWERED else "",
                issued_by=reviewer,
            )
        )
    item = NoticeEvidence(notice=made[0], original_name="咸宁整改佐证.pdf", size=len(PDF))
    item.file.save("walk.pdf", pdf("咸宁整改佐证.pdf"), save=False)
    item.uploaded_by = clerk
    item.save()
    return made[0], made[1], item


def _victim_spot_check(v: Victim):
    """A sample by the victim's reviewer holding the bureau's project evaluation and the unit's
    (made directly: the demo's are drafts, a draw takes approved ones only)."""
    from evaluations.models import SpotCheck

    sample = SpotCheck.objects.create(
        year=v.year,
        seed=7,
        percent=20,
        minimum=1,
        low_execution="0.8",
        created_by=get_user_model().objects.get(username="reviewer"),
        department_ids=sorted(v.ids),
    )
    for evaluation in (v.evaluation, v.unit_evaluation):
        sample.items.create(evaluation=evaluation, reasons=["random"])
    return sample


def _victim_import(clerk):
    from imports.services import job_create, job_preview
    from tests.imports.conftest import xlsx

    data = xlsx(
        ["年度", "项目编码", "一级指标", "二级指标", "三级指标", "指标性质", "年度指标值", "分值"],
        [[2021, "2021-101-001", "产出指标", "数量指标", "咸宁的新指标", "≥", "很多", 5]],
    )
    job = job_create(user=clerk, kind="indicators", name="咸宁指标.xlsx", data=data, enqueue=False)
    job_preview(job.pk)
    job.refresh_from_db()
    assert job.state == "invalid" and job.errors
    return job


# --------------------------------------------------------------------------------------------
# Attackers
# --------------------------------------------------------------------------------------------


@dataclass
class Attacker:
    label: str
    client: Client
    user: object | None  # None: anonymous
    # Departments of the victim's subtree this attacker legitimately sees (a 所属单位's clerk sees
    # its own unit): objects there are not attacked.
    own: frozenset[int] = field(default_factory=frozenset)

    @property
    def anonymous(self) -> bool:
        return self.user is None


def _login(username: str) -> tuple[Client, object]:
    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def attackers(victim) -> list[Attacker]:
    result = []
    # a 主管部门审核人 of another 主管部门 (随州, 102): the review chain's role (issue 17)
    MembershipFactory(
        department=Department.objects.get(code="102"),
        role="supervisor",
        user=UserFactory(username="sz_super"),
    )
    for label, username in (
        ("随州填报人 sz_clerk", "sz_clerk"),
        ("益阳审核人 reviewer2", "reviewer2"),
        ("咸宁所属单位填报人 dsj_clerk", "dsj_clerk"),
        ("随州主管部门 sz_super（主管部门审核）", "sz_super"),
    ):
        client, user = _login(username)
        visible = access_for(user).visible
        assert visible is not None, f"{username} must not be an administrator"
        own = frozenset(visible & victim.ids)
        assert victim.bureau.id not in own, f"{username} sees the victim bureau"
        result.append(Attacker(label, client, user, own))
    result.append(Attacker("匿名访问者", Client(), None))
    return result


# --------------------------------------------------------------------------------------------
# The classification table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One victim object a URL is tried on."""

    label: str
    department_id: int
    kwargs: dict


Payloads = Callable[[Victim, Target], list[dict]]


@dataclass(frozen=True)
class ObjectURL:
    targets: Callable[[Victim], list[Target]]
    posts: Payloads  # the POST bodies to try (each a fresh dict: files are read once)
    get_allowed: bool = True  # False: the view is POST-only (require_POST answers 405 to GET)


def _sheets(v: Victim) -> list[Target]:
    return [
        Target(label, s.department_id, {"pk": s.pk})
        for label, s in (
            ("已提交的项目绩效目标", v.submitted_sheet),
            ("已批复的项目绩效目标", v.approved_sheet),
            ("部门整体绩效目标", v.department_sheet),
            ("所属单位（热线中心）的绩效目标", v.unit_sheet),
        )
    ]


def _evaluations(v: Victim) -> list[Target]:
    return [
        Target(label, e.department_id, {"pk": e.pk})
        for label, e in (
            ("草稿状态的项目自评", v.evaluation),
            ("部门整体自评", v.department_evaluation),
            ("所属单位（热线中心）的自评", v.unit_evaluation),
        )
    ]


def _evidence(v: Victim) -> list[Target]:
    return [
        Target("佐证材料", v.evaluation.department_id, {"pk": v.evidence.pk}),
        Target("所属单位的佐证材料", v.unit_evaluation.department_id, {"pk": v.unit_evidence.pk}),
    ]


def _notices(v: Victim) -> list[Target]:
    return [
        Target("待整改的整改通知", v.notice.department_id, {"pk": v.notice.pk}),
        Target("所属单位已答复的整改通知", v.unit_notice.department_id, {"pk": v.unit_notice.pk}),
    ]


def _notice_files(v: Victim) -> list[Target]:
    return [Target("整改佐证材料", v.notice.department_id, {"pk": v.notice_file.pk})]


def _notice_posts(v: Victim, t: Target) -> list[dict]:
    notice = RectificationNotice.objects.get(pk=t.kwargs["pk"])
    return [
        {"action": "answer", "answer": "攻击者答复", "version": notice.version, "files": pdf()},
        {"action": "close", "text": "攻击者关闭", "version": notice.version},
        {"action": "send_back", "text": "攻击者退回", "version": notice.version},
    ]


def _exports(v: Victim) -> list[Target]:
    # An export covers several departments; it is attacked whenever it holds any department
    # outside the attacker's reach, so its "department" is the bureau.
    return [
        Target("咸宁全部单位的导出", v.bureau.id, {"pk": v.export.pk}),
        Target("咸宁部门整体自评导出", v.bureau.id, {"pk": v.department_export.pk}),
    ]


def _bulk_jobs(v: Victim) -> list[Target]:
    return [Target("咸宁审核人的批量审核", v.bureau.id, {"pk": v.bulk_job.pk})]


def _spot_checks(v: Victim) -> list[Target]:
    return [Target("咸宁审核人的抽查", v.bureau.id, {"pk": v.spot_check.pk})]


def _spot_check_items(v: Victim) -> list[Target]:
    return [
        Target(
            f"抽中的{i.evaluation.department.name}自评", i.evaluation.department_id, {"pk": i.pk}
        )
        for i in v.spot_check.items.select_related("evaluation__department")
    ]


def _recheck_posts(v: Victim, t: Target) -> list[dict]:
    from evaluations.models import SpotCheckItem

    item = SpotCheckItem.objects.get(pk=t.kwargs["pk"])
    lines = {f"line-{r.pk}": "0" for r in item.evaluation.results.all()}
    return [{"execution": "0", "conclusion": "攻击者的复核", **lines}]


def _imports(v: Victim) -> list[Target]:
    return [Target("咸宁填报人的导入", v.bureau.id, {"pk": v.import_job.pk})]


def _table_upload_posts(v: Victim, t: Target) -> list[dict]:
    data = render_xlsx([evaluation_table(SelfEvaluation.objects.get(pk=t.kwargs["pk"]))])
    return [{"file": SimpleUploadedFile("攻击者的自评表.xlsx", data)}]


def _sheet_posts(v: Victim, t: Target) -> list[dict]:
    sheet = TargetSheet.objects.get(pk=t.kwargs["pk"])
    indicator = sheet.indicators.order_by("id").first()
    return [
        {"action": "approve", "version": sheet.version},
        {"action": "return", "reason": "攻击者退回", "version": sheet.version},
        {"action": "supervisor_approve", "version": sheet.version},
        {"action": "supervisor_return", "reason": "攻击者退回", "version": sheet.version},
        {"action": "submit"},
        {"action": "reopen", "reason": "攻击者重开"},
        {"action": "withdraw", "version": sheet.version},
        {
            "action": "save",
            "overall_goal": "被攻击者改写",
            "version": sheet.version,
            "rows-TOTAL_FORMS": "0",
            "rows-INITIAL_FORMS": "0",
        },
        {"action": "adjust_request", "indicator": indicator.pk, "new_value": "1"},
        {"action": "adjust_approve", "adjustment": v.adjustment.pk, "comment": "同意"},
        {"action": "adjust_reject", "adjustment": v.adjustment.pk, "comment": "驳回"},
    ]


def _evaluation_posts(v: Victim, t: Target) -> list[dict]:
    evaluation = SelfEvaluation.objects.get(pk=t.kwargs["pk"])
    line = evaluation.results.order_by("id").first()
    return [
        {"action": "save", "version": evaluation.version, f"actual-{line.pk}": "0"},
        {"action": "submit", "version": evaluation.version},
        {"action": "approve", "version": evaluation.version},
        {"action": "return", "reason": "攻击者退回"},
        {"action": "supervisor_approve", "version": evaluation.version},
        {"action": "supervisor_return", "reason": "攻击者退回", "version": evaluation.version},
        {"action": "withdraw", "version": evaluation.version},
        {"action": "extend", "until": "2099-12-31", "reason": "攻击者延期"},
    ]


def _preview_posts(v: Victim, t: Target) -> list[dict]:
    evaluation = SelfEvaluation.objects.get(pk=t.kwargs["pk"])
    line = evaluation.results.order_by("id").first()
    return [{f"actual-{line.pk}": "1"}]


def _upload_posts(v: Victim, t: Target) -> list[dict]:
    evaluation = SelfEvaluation.objects.get(pk=t.kwargs["pk"])
    line = evaluation.results.order_by("id").first()
    return [{"result": line.pk, "file": pdf()}]


def _departments(v: Victim) -> list[Target]:
    unit = v.unit_evaluation.department_id
    return [
        Target("咸宁的部门整体预算数据", v.bureau.id, {"pk": v.bureau.pk}),
        Target("所属单位（热线中心）的部门整体预算数据", unit, {"pk": unit}),
    ]


def _budget_posts(v: Victim, t: Target) -> list[dict]:
    return [{"year": v.year.year, "income_public_full": "1", "income_fund_absent": "on"}]


def _monitoring_sheets(v: Victim) -> list[Target]:
    from evaluations.models import MonitoringSheet

    sheets = MonitoringSheet.objects.filter(department_id__in=v.ids).select_related("project")
    by_label = {
        "已提交的监控表": sheets.get(project__code="2021-101-001"),
        "草稿监控表": sheets.get(project__code="2021-101-002"),
        "部门整体监控表": sheets.get(project=None, department=v.bureau),
        "所属单位（热线中心）的监控表": sheets.get(project__code="2021-101002-001"),
    }
    return [Target(label, s.department_id, {"pk": s.pk}) for label, s in by_label.items()]


def _monitoring_posts(v: Victim, t: Target) -> list[dict]:
    from evaluations.models import MonitoringSheet

    sheet = MonitoringSheet.objects.get(pk=t.kwargs["pk"])
    line = sheet.lines.order_by("id").first()
    version = sheet.version
    return [
        {"action": "save", "version": version, "executed_to_date": "1", f"actual-{line.pk}": "0"},
        {"action": "submit", "version": version},
        {"action": "approve", "version": version},
        {"action": "return", "reason": "攻击者退回", "version": version},
        {"action": "withdraw", "version": version},
        {"action": "reopen", "reason": "攻击者重开", "version": version},
        {"action": "rect_require", "text": "攻击者要求整改", "version": version},
        {"action": "rect_require", "line": line.pk, "text": "攻击者", "version": version},
        {"action": "rect_answer", "line": line.pk, "text": "攻击者", "version": version},
        {"action": "rect_close", "version": version},
    ]


def _plain_posts(v: Victim, t: Target) -> list[dict]:
    return [{}, {"action": "delete"}]


def _monitoring_sheets(v: Victim) -> list[Target]:
    """The victim's 监控表 (a project's and a 所属单位's), laid down on first use so the
    Victim needs no field for them."""
    from tests.monitoring_data import round_create, sheet_create

    round_ = MonitoringRound.objects.filter(year=v.year).first() or round_create(v.year)
    targets = []
    for label, target in (("项目监控表", v.approved_sheet), ("所属单位的监控表", v.unit_sheet)):
        sheet = MonitoringSheet.objects.filter(round=round_, project=target.project_id).first()
        sheet = sheet or sheet_create(round_, target)
        targets.append(Target(label, sheet.department_id, {"pk": sheet.pk}))
    return targets


def _monitoring_upload_posts(v: Victim, t: Target) -> list[dict]:
    data = render_xlsx([monitoring_table(MonitoringSheet.objects.get(pk=t.kwargs["pk"]))])
    return [{"file": SimpleUploadedFile("攻击者的监控表.xlsx", data)}]


OBJECT_URLS: dict[str, ObjectURL] = {
    "monitoring_sheet": ObjectURL(_monitoring_sheets, _monitoring_posts),
    "target_sheet": ObjectURL(_sheets, _sheet_posts),
    "evaluation": ObjectURL(_evaluations, _evaluation_posts),
    "evaluation_preview": ObjectURL(_evaluations, _preview_posts, get_allowed=False),
    "evaluation_table": ObjectURL(_evaluations, _plain_posts),
    "evidence_upload": ObjectURL(_evaluations, _upload_posts, get_allowed=False),
    "evidence_download": ObjectURL(_evidence, _plain_posts),
    "evidence_delete": ObjectURL(_evidence, _plain_posts, get_allowed=False),
    "export_status": ObjectURL(_exports, _plain_posts),
    "export_download": ObjectURL(_exports, _plain_posts),
    "import_job": ObjectURL(_imports, _plain_posts),
    "review_bulk_job": ObjectURL(_bulk_jobs, _plain_posts),
    "import_status": ObjectURL(_imports, _plain_posts),
    "import_confirm": ObjectURL(_imports, _plain_posts, get_allowed=False),
    "import_failed": ObjectURL(_imports, _plain_posts),
    "evaluation_import": ObjectURL(_evaluations, _table_upload_posts, get_allowed=False),
    "department_budget": ObjectURL(_departments, _budget_posts),
    "monitoring_table": ObjectURL(_monitoring_sheets, _plain_posts),
    "monitoring_import": ObjectURL(_monitoring_sheets, _monitoring_upload_posts, get_allowed=False),
    "rectification": ObjectURL(_notices, _notice_posts),
    "rectification_file": ObjectURL(_notice_files, _plain_posts),
    "rectification_file_delete": ObjectURL(_notice_files, _plain_posts, get_allowed=False),
    "spot_check": ObjectURL(_spot_checks, _plain_posts),
    "spot_check_item": ObjectURL(_spot_check_items, _recheck_posts),
}

# Patterns that take no object → the test that checks them.
NO_OBJECT_URLS: dict[str, str] = {
    "home": "test_lists_do_not_show_the_victim",
    "review_queue": "test_lists_do_not_show_the_victim",
    # rounds are finance's (any reviewer manages them); the sheets listed are scoped by access
    "monitoring": "test_monitoring_page_lists_only_own_sheets",
    # the forms named are loaded only within the reviewer's departments, as the queue lists them
    "review_bulk": "tests/evaluations/test_bulk_review.py::"
    "test_mixed_selection_passes_some_and_refuses_others_with_reasons",
    "dashboard": "test_dashboard_shows_only_reviewed_departments",
    "monitoring_summary": "tests/security/test_monitoring_walk.py::"
    "test_monitoring_summary_and_board_show_only_reviewed_departments",
    # the year's 整改通知 of the user's departments; issuing names subjects looked up within them
    "rectifications": "test_notice_list_neither_shows_nor_issues_for_the_victim",
    "target_progress": "test_target_progress_neither_shows_nor_urges_the_victim",
    "spot_checks": "test_spot_checks_neither_show_nor_draw_the_victim",
    "results_application": "test_results_application_neither_shows_nor_changes_the_victim",
    # the signed-in user's own messages: ids only in POST bodies, looked up among their own
    "notifications": "test_messages_of_others_cannot_be_read_or_opened",
    "exports": "test_exports_page_neither_lists_nor_exports_the_victim",
    "target_sheet_start": "test_start_views_create_nothing_for_the_victim",
    "evaluation_start": "test_start_views_create_nothing_for_the_victim",
    "imports": "tests/imports/test_views.py::test_import_pages_list_only_own_jobs",
    "import_template": "tests/imports/test_views.py::test_templates_only_for_permitted_kinds",
    "login": "test_login_and_logout_take_no_object",
    # the user is named by a one-time token, not an id one may guess
    "account_activate": "tests/imports/test_users.py::test_activation_needs_a_valid_token",
    "logout": "test_login_and_logout_take_no_object",
    # the signed-in user's own profile: no id in the address
    "profile": "tests/budgets/test_profile.py::test_profile_edits_only_ones_own",
}

# Patterns whose parameters are a one-time token (and the id it is bound to), not an object one
# may name: the token is the check (see the test named for each in NO_OBJECT_URLS).
TOKEN_URLS = {"account_activate"}

SKIPPED_NAMESPACES = {"admin"}  # covered by test_admin_refuses_clerks_and_reviewers


# --------------------------------------------------------------------------------------------
# Resolver enumeration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    name: str | None  # namespaced, e.g. "admin:index"
    route: str
    params: frozenset[str]
    namespace: tuple[str, ...] = ()


def _params(pattern) -> set[str]:
    # A RegexPattern has an (empty) `converters` too: its named groups are its parameters.
    return set(getattr(pattern, "converters", None) or ()) | set(pattern.regex.groupindex)


def enumerate_patterns(
    resolver: URLResolver | None = None, prefix: str = "", namespace: tuple = (), params=()
) -> Iterator[Found]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        here = set(params) | _params(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace + ((entry.namespace,) if entry.namespace else ())
            yield from enumerate_patterns(entry, prefix + str(entry.pattern), inner, here)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespace, entry.name)) if entry.name else None
            yield Found(name, prefix + str(entry.pattern), frozenset(here), namespace)


def _is_static(route: str) -> bool:
    route = route.lstrip("^/")
    prefixes = [p.strip("/") for p in (settings.STATIC_URL, settings.MEDIA_URL) if p]
    return any(p and route.startswith(p) for p in prefixes)


def project_patterns() -> list[Found]:
    """Every pattern except the Django admin and static/media serving."""
    return [
        f
        for f in enumerate_patterns()
        if not (f.namespace and f.namespace[0] in SKIPPED_NAMESPACES) and not _is_static(f.route)
    ]
