"""Access walk: every URL the project defines, tried on another department's objects.

The victim is the 咸宁 bureau (code 101) with its 所属单位. The attackers are a clerk of 随州
(102), a reviewer assigned only to 益阳 (103), a 主管部门审核人 of 随州 (102), a clerk of the
victim's own 所属单位 101001 (who must not see its parent bureau or its sibling) and an
anonymous visitor. Every URL pattern found
by walking the resolver must be classified in OBJECT_URLS (how to build its kwargs for a victim
object, which methods to try) or NO_OBJECT_URLS (the test that checks it otherwise); an
unclassified pattern fails the walk, so a new page cannot skip the check.

Run with `pytest tests/security -s` to see the number of attempts.
"""

from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from budgets.access import access_for
from budgets.models import Department, FiscalYear, Membership, Notification, Project
from core.models import AuditLog
from evaluations.models import (
    Evidence,
    Indicator,
    IndicatorResult,
    MonitoringLine,
    MonitoringSheet,
    NoticeEvidence,
    RectificationNotice,
    SelfEvaluation,
    TargetAdjustment,
    TargetSheet,
)
from imports.models import ImportJob
from reporting.models import ExportJob
from tests.security.walk import (
    NO_OBJECT_URLS,
    OBJECT_URLS,
    TOKEN_URLS,
    Attacker,
    ObjectURL,
    Victim,
    _login,
    _preview_posts,
    enumerate_patterns,
    project_patterns,
)

pytestmark = pytest.mark.django_db


def test_every_url_pattern_is_classified():
    found = project_patterns()
    assert found, "the resolver enumeration found nothing"
    unclassified = [
        f.name or f"(unnamed) {f.route}"
        for f in found
        if f.name not in OBJECT_URLS and f.name not in NO_OBJECT_URLS
    ]
    assert not unclassified, (
        "URL patterns not classified in tests/security/walk.py (add each to "
        f"OBJECT_URLS or NO_OBJECT_URLS with its own check): {unclassified}"
    )
    names = {f.name for f in found}
    stale = sorted((set(OBJECT_URLS) | set(NO_OBJECT_URLS)) - names)
    assert not stale, f"classified names that no longer exist: {stale}"
    for f in found:
        if f.name in NO_OBJECT_URLS and f.name not in TOKEN_URLS:
            assert not f.params, f"{f.name} takes {sorted(f.params)}: classify it as an object URL"
    # the admin is really there (and tested separately), and its patterns were reached recursively
    assert any(f.name == "admin:index" for f in enumerate_patterns())
    assert any(
        f.name and f.name.startswith("admin:budgets_department") for f in enumerate_patterns()
    )


# --------------------------------------------------------------------------------------------
# Fingerprint of the victim's data
# --------------------------------------------------------------------------------------------


def fingerprint(v: Victim) -> dict:
    ids = v.ids

    def rows(queryset, *fields):
        return sorted(queryset.values_list("pk", *fields))

    return {
        "sheets": rows(
            TargetSheet.objects.filter(department_id__in=ids),
            "state",
            "version",
            "overall_goal",
            "review_comment",
            "submitted_at",
            "approved_at",
            "updated_at",
        ),
        "evaluations": rows(
            SelfEvaluation.objects.filter(department_id__in=ids),
            "state",
            "version",
            "actual_text",
            "total_score",
            "review_total_score",
            "deadline_extension",
            "review_comment",
            "updated_at",
        ),
        "indicators": rows(
            Indicator.objects.filter(sheet__department_id__in=ids),
            "name",
            "target_value",
            "weight",
            "adjusted_target_value",
            "review_comment",
        ),
        "results": rows(
            IndicatorResult.objects.filter(evaluation__department_id__in=ids),
            "actual_value",
            "level",
            "score",
            "review_score",
            "deviation_reason",
            "review_comment",
        ),
        "evidence": rows(
            Evidence.objects.filter(result__evaluation__department_id__in=ids),
            "file",
            "original_name",
            "size",
        ),
        "adjustments": rows(
            TargetAdjustment.objects.filter(indicator__sheet__department_id__in=ids),
            "state",
            "new_value",
            "decided_by",
        ),
        "monitoring": rows(
            MonitoringSheet.objects.filter(department_id__in=ids),
            "state",
            "version",
            "executed_to_date",
            "execution_reason",
            "review_comment",
            "rectification_state",
            "rectification_request",
        ),
        "monitoring lines": rows(
            MonitoringLine.objects.filter(sheet__department_id__in=ids),
            "actual_to_date",
            "likelihood",
            "review_comment",
            "rectification_state",
            "rectification_result",
        ),
        "projects": rows(Project.objects.filter(department_id__in=ids), "name"),
        "notices": rows(
            RectificationNotice.objects.all(), "state", "version", "answer", "department"
        ),
        "notice files": rows(NoticeEvidence.objects.all(), "notice", "file", "original_name"),
        "departments": rows(Department.objects.filter(id__in=ids), "name", "parent", "is_active"),
        "exports": rows(ExportJob.objects.all(), "state", "file", "created_by"),
        "imports": rows(ImportJob.objects.all(), "state", "created_by", "finished_at"),
        "audit": AuditLog.objects.count(),
        "all sheets": TargetSheet.objects.count(),
        "all evaluations": SelfEvaluation.objects.count(),
    }


# --------------------------------------------------------------------------------------------
# The walk
# --------------------------------------------------------------------------------------------


@dataclass
class Tally:
    attempts: int = 0
    failures: list[str] = field(default_factory=list)


def _refused(response, attacker: Attacker, method: str, spec: ObjectURL) -> bool:
    if response.status_code in (403, 404):
        return True
    if response.status_code == 302 and attacker.anonymous:
        return response["Location"].startswith(resolve_url(settings.LOGIN_URL) + "?")
    # A POST-only view answers 405 to GET before looking anything up: nothing is revealed.
    return response.status_code == 405 and method == "GET" and not spec.get_allowed


def _describe(response) -> str:
    where = f" → {response['Location']}" if response.has_header("Location") else ""
    return f"{response.status_code}{where}"


def test_walk_object_urls_as_other_departments(victim, attackers):
    before = fingerprint(victim)
    tally = Tally()
    walked = set()
    for found in project_patterns():
        spec = OBJECT_URLS.get(found.name)
        if spec is None:
            continue
        walked.add(found.name)
        targets = spec.targets(victim)
        assert targets, f"no victim object for {found.name}"
        for target in targets:
            assert set(target.kwargs) == found.params, (found.name, target.kwargs, found.params)
            url = reverse(found.name, kwargs=target.kwargs)
            for attacker in attackers:
                if target.department_id in attacker.own:
                    continue
                attempts = [("GET", None)] + [("POST", p) for p in spec.posts(victim, target)]
                for method, data in attempts:
                    if method == "GET":
                        response = attacker.client.get(url)
                    else:
                        response = attacker.client.post(url, data)
                    tally.attempts += 1
                    if not _refused(response, attacker, method, spec):
                        tally.failures.append(
                            f"{method} {url} ({found.name}, {target.label}) as {attacker.label} "
                            f"with {data!r}: {_describe(response)}"
                        )
    assert walked == set(OBJECT_URLS)
    after = fingerprint(victim)
    changed = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
    with victim.evidence.file.open("rb") as handle:
        assert handle.read() == victim.evidence_bytes, "the victim's evidence file changed"
    print(
        f"\n访问控制检查：{tally.attempts} 次尝试，"
        + ("全部被拒绝" if not tally.failures else f"{len(tally.failures)} 次未被拒绝")
    )
    assert not tally.failures, "access not refused:\n" + "\n".join(tally.failures)
    assert not changed, f"the victim's data changed: {changed}"
    assert tally.attempts > 0


def test_owner_reaches_every_walked_object(victim):
    """Control: the kwargs of the table are right (the victim's own clerk and an administrator
    get 200), so the 404s of the walk are refusals, not typos."""
    admin = get_user_model().objects.get(username="admin")
    owner, _ = _login("xn_clerk")
    reviewer, _ = _login("reviewer")
    root = Client()
    root.force_login(admin)
    for name, spec in OBJECT_URLS.items():
        for target in spec.targets(victim):
            url = reverse(name, kwargs=target.kwargs)
            # export_status answers only to the job's requester, not even to an administrator;
            # a 批量审核 only to its reviewer; a 抽查 to finance
            clients = {
                "export_status": (owner,),
                "review_bulk_job": (reviewer,),
                # 抽查复核 is finance's: the reviewer and an administrator
                "spot_check": (reviewer, root),
                "spot_check_item": (reviewer, root),
            }
            for client in clients.get(name, (owner, root)):
                if spec.get_allowed:
                    response = client.get(url)
                elif name == "evaluation_preview":  # read-only POST
                    response = client.post(url, _preview_posts(victim, target)[0])
                else:
                    continue
                assert response.status_code == 200, (name, target.label, response.status_code)


# --------------------------------------------------------------------------------------------
# Patterns without an object
# --------------------------------------------------------------------------------------------


def victim_words(v: Victim, *visible_to: Attacker) -> list[str]:
    """Names that must not appear on an attacker's pages: the victim's departments and projects
    (and the victim clerk's display name), except any that also name something the attacker may
    see."""
    words = {d.name for d in v.subtree} | set(
        Project.objects.filter(department_id__in=v.ids).values_list("name", flat=True)
    )
    words.add(get_user_model().objects.get(username="xn_clerk").first_name)
    allowed: set[str] = set()
    for attacker in visible_to:
        if attacker.user is None:
            continue
        visible = access_for(attacker.user).visible or set()
        allowed |= set(Department.objects.filter(id__in=visible).values_list("name", flat=True))
        allowed |= set(
            Project.objects.filter(department_id__in=visible).values_list("name", flat=True)
        )
    return sorted(w for w in words - allowed if w)


def _leaks(body: str, words: list[str]) -> list[str]:
    return [w for w in words if w in body]


def _by_label(attackers, prefix):
    return next(a for a in attackers if a.label.startswith(prefix))


def test_lists_do_not_show_the_victim(victim, attackers):
    clerk = _by_label(attackers, "随州")
    reviewer = _by_label(attackers, "益阳")
    unit_clerk = _by_label(attackers, "咸宁所属单位")
    supervisor = _by_label(attackers, "随州主管部门")
    anonymous = _by_label(attackers, "匿名")
    vid = victim.bureau.id
    pages = ["/", "/?year=2021", "/?year=2023", "/?year=2020"]
    review = [
        "/review/",
        "/review/?year=2021",
        f"/review/?year=2021&department={vid}",
        f"/review/?year=2021&department={victim.subtree[1].id}&state=submitted",
        "/review/?year=2021&kind=targets&state=submitted&sort=department",
        "/review/?year=2021&kind=evaluation&overdue=1",
    ]
    assert reverse("home") == "/" and reverse("review_queue") == "/review/"
    attempts = 0
    for attacker in (clerk, reviewer, unit_clerk, supervisor):
        words = victim_words(victim, attacker)
        assert "咸宁市政府大数据中心" in words or attacker is unit_clerk
        for url in pages + (review if attacker in (reviewer, supervisor) else []):
            response = attacker.client.get(url)
            attempts += 1
            assert response.status_code == 200, (url, attacker.label)
            body = response.content.decode()
            assert not _leaks(body, words), (url, attacker.label, _leaks(body, words))
    # The review queue is not a clerk's page at all; the anonymous visitor is sent to log in.
    for url in review[:3]:
        assert clerk.client.get(url).status_code == 404
        assert unit_clerk.client.get(url).status_code == 404
        attempts += 1
        response = anonymous.client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?")
        attempts += 2
    # A reviewer's home queue and review list do show forms of the departments assigned to it
    # (positive control: the words checked above would be found if they leaked).
    own_reviewer, _ = _login("reviewer")
    body = own_reviewer.get("/review/?year=2021").content.decode()
    assert "咸宁市政务服务和大数据管理局" in body
    assert victim.submitted_sheet.project.name in body
    # …and the 咸宁 主管部门审核人's shows its 所属单位's forms (all states: the demo has none
    # waiting for it)
    own_supervisor, _ = _login("xn_super")
    body = own_supervisor.get("/review/?year=2021&state=").content.decode()
    assert victim.unit_sheet.department.name in body
    print(f"\n列表检查：{attempts} 次访问，均未出现其他单位的数据")


def test_dashboard_shows_only_reviewed_departments(victim, attackers):
    """The finance dashboard: clerks get 404, the anonymous visitor the login page, a reviewer
    of another department every year without a word of the victim's."""
    url = reverse("dashboard")
    for attacker in attackers:
        for year in ("", "?year=2020", "?year=2021", "?year=2023"):
            response = attacker.client.get(url + year)
            if attacker.anonymous:
                assert response.status_code == 302
                assert response["Location"].startswith("/login/?")
            elif "审核人" not in attacker.label:
                assert response.status_code == 404, attacker.label
            else:
                assert response.status_code == 200
                body = response.content.decode()
                words = victim_words(victim, attacker)
                assert not _leaks(body, words), (year, _leaks(body, words))
    # positive control: the victim's own reviewer sees its forms there
    own_reviewer, _ = _login("reviewer")
    body = own_reviewer.get(url + "?year=2021").content.decode()
    assert "咸宁市政务服务和大数据管理局" in body


def test_notice_list_neither_shows_nor_issues_for_the_victim(victim, attackers):
    """整改通知: a clerk of another unit and a reviewer of another department see none of the
    victim's notices (every state, every year) and cannot issue one for the victim's forms,
    one by one or all at once; the anonymous visitor is sent to log in."""
    from evaluations.models import FormState, SelfEvaluation

    # a victim form that would be a candidate for its own reviewer
    SelfEvaluation.objects.filter(pk=victim.department_evaluation.pk).update(
        state=FormState.APPROVED, grade="差"
    )
    before = fingerprint(victim)
    url = reverse("rectifications")
    post = {"requirement": "攻击者的整改要求", "due_date": "2099-01-01"}
    for attacker in attackers:
        for query in (
            "",
            "?year=2021",
            "?year=2021&state=answered",
            f"?department={victim.bureau.id}",
        ):
            response = attacker.client.get(url + query)
            if attacker.anonymous:
                assert response.status_code == 302
                assert response["Location"].startswith("/login/?")
                continue
            assert response.status_code == 200, (attacker.label, query)
            body = response.content.decode()
            assert "咸宁的整改要求" not in body
            assert not _leaks(body, victim_words(victim, attacker)), (attacker.label, query)
        for data in (
            {**post, "subject": f"evaluation:{victim.department_evaluation.pk}"},
            {**post, "action": "bulk", "department": victim.bureau.id},
            {**post, "action": "bulk"},
        ):
            attacker.client.post(url + "?year=2021", data)
    assert fingerprint(victim) == before
    # positive control: the victim's reviewer sees its notices and the candidate
    own_reviewer, _ = _login("reviewer")
    body = own_reviewer.get(url + "?year=2021").content.decode()
    assert victim.notice.title in body and f"evaluation:{victim.department_evaluation.pk}" in body


def _finance_page_checked(victim, attacker, response) -> None:
    if attacker.anonymous:
        assert response.status_code == 302
    elif "审核人" not in attacker.label:
        assert response.status_code == 404, attacker.label
    else:
        assert response.status_code in (200, 400), attacker.label
        body = (
            b"".join(response.streaming_content).decode("latin-1")
            if response.streaming
            else response.content.decode()
        )
        assert not _leaks(body, victim_words(victim, attacker))


def test_spot_checks_neither_show_nor_draw_the_victim(victim, attackers):
    """抽查复核: clerks get 404; a reviewer of another department neither sees the victim's sample
    nor draws the victim's forms (its draw covers its own departments only)."""
    from evaluations.models import FormState, SpotCheckItem

    # approved forms of the victim: what a draw could take
    SelfEvaluation.objects.filter(department_id__in=victim.ids).exclude(
        spot_check_item__isnull=False
    ).update(state=FormState.APPROVED)
    url = reverse("spot_checks")
    before = set(SpotCheckItem.objects.values_list("evaluation_id", flat=True))
    for attacker in attackers:
        for query in ("", "?year=2021", "?year=2021&preview=1&percent=100&minimum=5&low=80&seed=1"):
            _finance_page_checked(victim, attacker, attacker.client.get(url + query))
        data = {"percent": "100", "minimum": "5", "low": "80", "seed": "1"}
        attacker.client.post(url + "?year=2021", data)
    drawn = SpotCheckItem.objects.exclude(evaluation_id__in=before)
    assert not drawn.filter(evaluation__department_id__in=victim.ids).exists()
    # positive control: the victim's own reviewer sees its sample
    own_reviewer, _ = _login("reviewer")
    body = own_reviewer.get(url + "?year=2021").content.decode()
    assert reverse("spot_check", args=[victim.spot_check.pk]) in body


def test_results_application_neither_shows_nor_changes_the_victim(victim, attackers):
    """结果应用表: clerks get 404; a reviewer of another department neither sees the victim's
    rows (page, XLSX) nor changes a victim's suggestion (404)."""
    from evaluations.models import FormState, ResultSuggestion

    SelfEvaluation.objects.filter(pk=victim.evaluation.pk).update(state=FormState.APPROVED)
    url = reverse("results_application")
    for attacker in attackers:
        for query in ("", "?year=2020", "?year=2021", "?year=2021&format=xlsx"):
            _finance_page_checked(victim, attacker, attacker.client.get(url + query))
        for evaluation in (victim.evaluation, victim.unit_evaluation):
            data = {"evaluation": evaluation.pk, "suggestion": "压减", "reason": "攻击"}
            response = attacker.client.post(url + "?year=2021", data)
            assert response.status_code in (302, 404), attacker.label
            if not attacker.anonymous:
                assert response.status_code == 404, attacker.label
    assert not ResultSuggestion.objects.exists()
    own_reviewer, _ = _login("reviewer")
    body = own_reviewer.get(url + "?year=2021").content.decode()
    assert "咸宁市政务服务和大数据管理局" in body


def test_target_progress_neither_shows_nor_urges_the_victim(
    victim, attackers, django_capture_on_commit_callbacks
):
    """目标申报进度: clerks get 404, a reviewer of another department neither sees the victim
    (page, XLSX) nor can 催办 it; nothing reaches the victim's users."""
    url = reverse("target_progress")
    victim_users = list(
        Membership.objects.filter(department_id__in=victim.ids).values_list("user", flat=True)
    )
    for attacker in attackers:
        for query in ("", "?year=2020", "?year=2021", "?year=2023&format=xlsx"):
            response = attacker.client.get(url + query)
            if attacker.anonymous:
                assert response.status_code == 302
            elif "审核人" not in attacker.label:
                assert response.status_code == 404, attacker.label
            else:
                assert response.status_code == 200
                body = (
                    b"".join(response.streaming_content).decode("latin-1")
                    if response.streaming
                    else response.content.decode()
                )
                assert not _leaks(body, victim_words(victim, attacker)), query
        with django_capture_on_commit_callbacks(execute=True):
            for data in ({"department": victim.bureau.id}, {"all": "1"}):
                attacker.client.post(url + "?year=2021", data)
    assert not Notification.objects.filter(user_id__in=victim_users).exists()
    assert not AuditLog.objects.filter(action="催办", department_id__in=victim.ids).exists()
    own_reviewer, _ = _login("reviewer")
    assert "咸宁市政务服务和大数据管理局" in own_reviewer.get(url + "?year=2021").content.decode()


def test_messages_of_others_cannot_be_read_or_opened(victim, attackers):
    """消息: a message is found only among the signed-in user's own; another's id changes
    nothing and reveals nothing."""
    victim_user = get_user_model().objects.get(username="xn_clerk")
    note = Notification.objects.create(
        user=victim_user, kind="urge", title="咸宁市政务服务和大数据管理局 催办", url="/"
    )
    for attacker in attackers:
        page = attacker.client.get(reverse("notifications"))
        if attacker.anonymous:
            assert page.status_code == 302
            continue
        assert "咸宁市政务服务和大数据管理局 催办" not in page.content.decode()
        for action in ("read", "open"):
            response = attacker.client.post(
                reverse("notifications"), {"action": action, "id": note.pk}
            )
            assert response["Location"] == reverse("notifications"), attacker.label
        attacker.client.post(reverse("notifications"), {"action": "all"})
    note.refresh_from_db()
    assert note.read_at is None


def test_exports_page_neither_lists_nor_exports_the_victim(
    victim, attackers, django_capture_on_commit_callbacks
):
    before = fingerprint(victim)
    jobs_before = ExportJob.objects.count()
    project = victim.evaluation.project
    for attacker in attackers:
        if attacker.anonymous:
            for method in ("get", "post"):
                response = getattr(attacker.client, method)("/exports/")
                assert response.status_code == 302
                assert response["Location"].startswith("/login/?")
            continue
        words = victim_words(victim, attacker)
        body = attacker.client.get("/exports/?year=2021").content.decode()
        assert not _leaks(body, words), (attacker.label, _leaks(body, words))
        for department in (victim.bureau, *victim.subtree):
            if department.id in attacker.own:
                continue
            for kind in (ExportJob.Kind.PROJECT, ExportJob.Kind.BUNDLE):
                with django_capture_on_commit_callbacks(execute=True):
                    response = attacker.client.post(
                        "/exports/",
                        {"year": 2021, "kind": kind, "format": "xlsx", "department": department.id},
                        follow=True,
                    )
                assert response.status_code == 200
                body = response.content.decode()
                assert not _leaks(body, words), (attacker.label, _leaks(body, words))
        if project.department_id not in attacker.own:
            with django_capture_on_commit_callbacks(execute=True):
                attacker.client.post(
                    "/exports/",
                    {
                        "year": 2021,
                        "kind": "project-self-evaluation",
                        "format": "xlsx",
                        "project": project.id,
                    },
                )
    assert ExportJob.objects.count() == jobs_before, "an export of the victim was accepted"
    assert fingerprint(victim) == before


def test_start_views_create_nothing_for_the_victim(victim, attackers):
    before = fingerprint(victim)
    sheets, evaluations = TargetSheet.objects.count(), SelfEvaluation.objects.count()
    victim_urls = {
        reverse(name, args=[pk])
        for name, model in (("target_sheet", TargetSheet), ("evaluation", SelfEvaluation))
        for pk in model.objects.filter(department_id__in=victim.ids).values_list("pk", flat=True)
    }
    year_2023 = FiscalYear.objects.get(year=2023)
    bodies = [
        {"project": victim.project_without_sheet.pk},  # would create a sheet
        {"project": victim.submitted_sheet.project_id},  # would open the existing sheet
        {"project": victim.project_without_evaluation.pk},  # would create a self-evaluation
        {"project": victim.evaluation.project_id},  # would open the existing evaluation
        {"department": victim.bureau.pk, "year": victim.year.pk},  # existing 部门整体 forms
        {"department": victim.bureau.pk, "year": year_2023.pk},  # none yet: would create one
        {"department": victim.subtree[2].pk, "year": year_2023.pk},
    ]
    attempts = 0
    for attacker in attackers:
        words = victim_words(victim, attacker)
        for url in (reverse("target_sheet_start"), reverse("evaluation_start")):
            response = attacker.client.get(url)
            attempts += 1
            if attacker.anonymous:
                assert response.status_code == 302 and response["Location"].startswith("/login/?")
            else:
                assert response.status_code == 405, (url, attacker.label)
            for data in bodies:
                if data.get("department") in attacker.own:
                    continue
                project_id = data.get("project")
                if project_id and Project.objects.get(pk=project_id).department_id in attacker.own:
                    continue
                response = attacker.client.post(url, data)
                attempts += 1
                location = response.get("Location", "")
                assert response.status_code == 302, (url, data, attacker.label)
                assert location.split("#")[0] not in victim_urls, (url, data, attacker.label)
                if attacker.anonymous:
                    assert location.startswith("/login/?"), (url, data, location)
                else:
                    assert location == reverse("home"), (url, data, attacker.label, location)
                    body = attacker.client.get(location).content.decode()
                    assert not _leaks(body, words), (url, data, _leaks(body, words))
    assert TargetSheet.objects.count() == sheets, "a target sheet was created for the victim"
    assert SelfEvaluation.objects.count() == evaluations, "a self-evaluation was created"
    assert fingerprint(victim) == before
    print(f"\n填报入口检查：{attempts} 次尝试，未创建也未打开其他单位的表单")


def test_login_and_logout_take_no_object(victim, attackers):
    """login/logout reveal nothing of any department; an outside `next` is not followed."""
    clerk = _by_label(attackers, "随州")
    words = victim_words(victim, clerk)
    response = Client().get("/login/")
    assert response.status_code == 200
    assert not _leaks(response.content.decode(), words)
    response = clerk.client.get("/login/?next=https://evil.example/")
    assert response.status_code == 302 and "evil.example" not in response["Location"]
    response = Client().post(
        "/login/?next=https://evil.example/", {"username": "xn_clerk", "password": "wrong"}
    )
    assert response.status_code == 200 and "_auth_user_id" not in Client().session
    response = clerk.client.post("/logout/")
    assert response.status_code == 302
    assert clerk.client.get("/").status_code == 302  # logged out


# --------------------------------------------------------------------------------------------
# The Django admin
# --------------------------------------------------------------------------------------------


def test_admin_refuses_clerks_and_reviewers(victim):
    admin_login = reverse("admin:login")
    change = reverse("admin:budgets_department_change", args=[victim.bureau.pk])
    pages = [
        reverse("admin:index"),
        change,
        reverse("admin:budgets_department_changelist"),
        reverse("admin:evaluations_selfevaluation_change", args=[victim.evaluation.pk]),
    ]
    name = victim.bureau.name
    for username in ("sz_clerk", "reviewer2", "xn_clerk", "reviewer"):
        client, user = _login(username)
        assert not user.is_staff and not user.is_superuser
        for url in pages:
            for method in ("get", "post"):
                response = getattr(client, method)(
                    url, {"name": "被改写"} if method == "post" else None
                )
                assert response.status_code in (302, 403), (username, method, url)
                if response.status_code == 302:
                    assert response["Location"].startswith(admin_login + "?"), (username, url)
    # A staff account without model permissions gets 403, not the department.
    client, user = _login("sz_clerk")
    user.is_staff = True
    user.save()
    response = client.get(change)
    assert response.status_code == 403
    assert name not in response.content.decode()
    response = client.post(change, {"name": "被改写", "code": "101"})
    assert response.status_code == 403
    victim.bureau.refresh_from_db()
    assert victim.bureau.name == name


def test_monitoring_page_lists_only_own_sheets(victim, attackers):
    """绩效运行监控: the rounds page lists only the sheets of the user's departments; a clerk
    cannot open, fill or close a round; the anonymous visitor is sent to log in."""
    from evaluations.models import MonitoringRound

    round_ = MonitoringRound.objects.get(year=victim.year)
    url = f"/monitoring/?year=2021&round={round_.pk}"
    assert reverse("monitoring") == "/monitoring/"
    before = fingerprint(victim)
    for attacker in attackers:
        response = attacker.client.get(url)
        if attacker.anonymous:
            assert response.status_code == 302 and response["Location"].startswith("/login/?")
            continue
        assert response.status_code == 200, attacker.label
        words = victim_words(victim, attacker)
        body = response.content.decode()
        assert not _leaks(body, words), (attacker.label, _leaks(body, words))
    clerk = _by_label(attackers, "随州")
    for data in (
        {"action": "fill", "round": round_.pk},
        {"action": "close", "round": round_.pk},
        {"action": "open", "name": "攻击者批次", "as_of": "2021-09-30", "deadline": "2099-01-01"},
    ):
        response = clerk.client.post("/monitoring/?year=2021", data)
        assert response.status_code in (302, 400, 403, 404)
    round_.refresh_from_db()
    assert round_.is_open and MonitoringRound.objects.count() == 1
    assert fingerprint(victim) == before
    # positive control: the victim's own clerk sees its sheets
    own, _ = _login("xn_clerk")
    assert victim.approved_sheet.project.name in own.get(url).content.decode()
