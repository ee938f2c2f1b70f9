"""The role × state × action matrix of both kinds of form, through the services and through the
pages (HTTP POST), against a table written here independently of evaluations/workflow.py.

Roles: 单位填报人 (clerk), 单位负责人 (head) of the unit, 财政审核人 (reviewer) assigned to its
主管部门, and an administrator (who may act in every role). Actions: save (edit the values) and
the seven transitions (撤回 included). Every cell starts from the form put into the state; an
allowed cell must reach the expected state (and leave one audit record), a refused one must change
nothing.
"""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from budgets.models import Membership
from core.models import AuditLog
from evaluations import workflow
from evaluations.models import FormState, MonitoringLine, MonitoringSheet, TargetSheet
from tests.factories import (
    GOOD,
    grid_post,
    post_data,
)
from tests.report import covered
from tests.security.conftest import (
    MONITORING_FUNDS,
    grid_rows,
    monitoring_lines,
    put,
    reload,
    service_action,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role
S = FormState
D = Decimal

STATES = [S.DRAFT, S.PENDING_HEAD, S.SUBMITTED, S.RETURNED, S.APPROVED]
ROLES = ["clerk", "head", "reviewer", "admin"]
ACTIONS = ["save", "submit", "confirm", "head_return", "return", "approve", "reopen", "withdraw"]

UNIT = {"clerk", "head", "admin"}
HEAD = {"head", "admin"}
FINANCE = {"reviewer", "admin"}
# action → (states it starts from, roles that may do it, the state it leads to; None: unchanged)
EXPECTED: dict[str, tuple[set[str], set[str], str | None]] = {
    "save": ({S.DRAFT, S.RETURNED}, UNIT, None),
    "submit": ({S.DRAFT, S.RETURNED}, UNIT, S.SUBMITTED),  # the year needs no head confirmation
    "confirm": ({S.PENDING_HEAD}, HEAD, S.SUBMITTED),
    "head_return": ({S.PENDING_HEAD}, HEAD, S.RETURNED),
    "return": ({S.SUBMITTED}, FINANCE, S.RETURNED),
    "approve": ({S.SUBMITTED}, FINANCE, S.APPROVED),
    "reopen": ({S.APPROVED}, FINANCE, S.RETURNED),
    # 撤回: the unit takes its form back while finance has not acted (issue 14)
    "withdraw": ({S.PENDING_HEAD, S.SUBMITTED}, UNIT, S.DRAFT),
}


def expected(action: str, state: str, role: str) -> tuple[bool, str]:
    sources, roles, after = EXPECTED[action]
    allowed = state in sources and role in roles
    return allowed, (after or state) if allowed else state


def values(form) -> tuple:
    """What the unit typed, with the state and version."""
    if isinstance(form, MonitoringSheet):
        lines = list(
            form.lines.order_by("id").values_list("actual_to_date", "likelihood", "review_comment")
        )
        return form.state, form.version, form.execution_reason, lines
    if isinstance(form, TargetSheet):
        lines = list(form.indicators.order_by("id").values_list("name", "target_value", "weight"))
        return form.state, form.version, form.overall_goal, lines
    lines = list(
        form.results.order_by("id").values_list("actual_value", "level", "score", "review_score")
    )
    return form.state, form.version, form.actual_text, lines


# --------------------------------------------------------------------------------------------
# Through the services
# --------------------------------------------------------------------------------------------


def test_matrix_through_the_services(world):
    cells, allowed_cells, failures = 0, 0, []
    for form0 in (world.sheet, world.evaluation, world.monitoring):
        for state in STATES:
            for role in ROLES:
                for action in ACTIONS:
                    form = put(form0, state)
                    cells += 1
                    allowed, after = expected(action, state, role)
                    text = f"{role}-{action}-{state}"
                    before, audits = values(form), AuditLog.objects.count()
                    try:
                        service_action(form, world.users[role], action, text)
                        outcome = "done"
                    except workflow.WorkflowError:
                        outcome = "refused"
                    now = values(reload(form))
                    where = f"{type(form).__name__} {state} {role} {action}"
                    if allowed:
                        allowed_cells += 1
                        ok = (
                            outcome == "done"
                            and now[0] == after
                            and now[1] == before[1] + 1
                            and AuditLog.objects.count() == audits + 1
                            and (action != "save" or now[2] == text)
                        )
                    else:
                        ok = (
                            outcome == "refused"
                            and now == before
                            and AuditLog.objects.count() == audits
                        )
                    if not ok:
                        failures.append(
                            f"{where}: expected {'allowed' if allowed else 'refused'}"
                            f", got {outcome}, {before[0]} → {now[0]}"
                        )
    covered(
        f"角色×状态矩阵（服务层）：3 类表单 × {len(STATES)} 状态 × {len(ROLES)} 角色 × "
        f"{len(ACTIONS)} 操作 = {cells} 格，其中 {allowed_cells} 格允许，其余均被拒绝且未改动数据"
    )
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------------------------
# Through the pages
# --------------------------------------------------------------------------------------------


def _post(client, form, action: str, text: str):
    if isinstance(form, MonitoringSheet):
        url = reverse("monitoring_sheet", args=[form.pk])
        data = {"action": action, "version": form.version, "reason": "审核意见"}
        if action in ("save", "submit"):
            data |= {**MONITORING_FUNDS, "execution_reason": text}
            for pk, line in monitoring_lines(form).items():
                data |= {
                    f"actual-{pk}": line["actual_to_date"],
                    f"predicted-{pk}": line["predicted_value"],
                    f"likelihood-{pk}": line["likelihood"],
                }
        return client.post(url, data)
    if isinstance(form, TargetSheet):
        url = reverse("target_sheet", args=[form.pk])
        if action in ("save", "submit"):
            data = grid_post(form, grid_rows(form), action=action, goal=text)
        else:
            data = {"action": action, "reason": "审核意见", "version": form.version}
        return client.post(url, data)
    url = reverse("evaluation", args=[form.pk])
    data = post_data(form, GOOD, action=action, actual_text=text, reason="审核意见")
    return client.post(url, data)


def test_matrix_through_the_pages(world):
    clients = {}
    for role, user in world.users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    cells, failures = 0, []
    for form0 in (world.sheet, world.evaluation, world.monitoring):
        for state in STATES:
            for role in ROLES:
                for action in ACTIONS:
                    form = put(form0, state)
                    cells += 1
                    allowed, after = expected(action, state, role)
                    text = f"{role}-{action}-{state}"
                    before = values(form)
                    response = _post(clients[role], form, action, text)
                    now = values(reload(form))
                    where = f"POST {type(form).__name__} {state} {role} {action}"
                    if response.status_code >= 400:
                        failures.append(f"{where}: {response.status_code}")
                    elif allowed:
                        saved_text = now[2] == text if action in ("save", "submit") else True
                        if response.status_code != 302 or now[0] != after or not saved_text:
                            failures.append(f"{where}: not done ({before[0]} → {now[0]})")
                    elif now != before:
                        failures.append(f"{where}: refused action changed {before} → {now}")
    covered(f"角色×状态矩阵（页面 POST）：{cells} 格，结果与服务层一致")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------------------------
# The rules of the issue, one by one
# --------------------------------------------------------------------------------------------


def test_skipping_draft_to_approved_is_refused(world):
    client = Client()
    client.force_login(world.users["reviewer"])
    for form in (world.sheet, world.evaluation):
        form = put(form, S.DRAFT)
        name = "target_sheet" if isinstance(form, TargetSheet) else "evaluation"
        page = client.post(  # refused: the message on the form's page (UserErrorMiddleware)
            reverse(name, args=[form.pk]),
            {"action": "approve", "version": form.version},
            follow=True,
        ).content.decode()
        assert "不能执行“审核通过”" in page
        assert reload(form).state == S.DRAFT
        with pytest.raises(workflow.WorkflowError):
            service_action(form, world.users["admin"], "approve", "")
        assert reload(form).state == S.DRAFT


def test_reviewer_cannot_edit_the_clerks_values(world):
    """A reviewer's approve or return carries only the review (审核得分, comments): value fields
    sent with it are ignored."""
    client = Client()
    client.force_login(world.users["reviewer"])
    evaluation = put(world.evaluation, S.SUBMITTED)
    before = values(evaluation)
    data = post_data(
        evaluation, {n: ("999", "", "1", "审核人改写") for n in GOOD}, action="approve"
    )
    data["actual_text"] = "审核人改写"
    assert client.post(reverse("evaluation", args=[evaluation.pk]), data).status_code == 302
    after = values(reload(evaluation))
    assert after[0] == S.APPROVED and after[2:] == before[2:]

    sheet = put(world.sheet, S.SUBMITTED)
    before = values(sheet)
    data = grid_post(sheet, grid_rows(sheet), action="return", goal="审核人改写")
    data.update(reason="请修改", version=sheet.version)
    data["rows-0-target_value"] = "1"
    assert client.post(reverse("target_sheet", args=[sheet.pk]), data).status_code == 302
    after = values(reload(sheet))
    assert after[0] == S.RETURNED and after[2:] == before[2:]


def test_locked_forms_reopen_only_through_return_or_reopen(world, tmp_path):
    """Submitted and approved forms take no edit from anyone — not on the page, not as evidence,
    not in the Django admin — until finance returns or reopens them."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = Client()
    admin.force_login(world.users["admin"])
    clerk = Client()
    clerk.force_login(world.users["clerk"])
    pdf = b"%PDF-1.4\n%%EOF\n"
    for state in (S.PENDING_HEAD, S.SUBMITTED, S.APPROVED):
        evaluation = put(world.evaluation, state)
        line = evaluation.results.order_by("id").first()
        before = values(evaluation)
        clerk.post(
            reverse("evidence_upload", args=[evaluation.pk]),
            {"result": line.pk, "file": SimpleUploadedFile("a.pdf", pdf)},
        )
        assert not line.evidence.exists()
        for form, model in (
            (evaluation, "selfevaluation"),
            (put(world.sheet, state), "targetsheet"),
        ):
            url = reverse(f"admin:evaluations_{model}_change", args=[form.pk])
            assert admin.get(url).status_code == 200  # shown read-only
            response = admin.post(url, {"overall_goal": "管理员改写", "actual_text": "管理员改写"})
            assert response.status_code == 403, (state, model)
            delete = reverse(f"admin:evaluations_{model}_delete", args=[form.pk])
            assert admin.post(delete, {"post": "yes"}).status_code == 403
            assert type(form).objects.filter(pk=form.pk).exists()
        assert values(reload(evaluation)) == before
    # the way back: finance reopens, then the clerk edits
    evaluation = put(world.evaluation, S.APPROVED)
    service_action(evaluation, world.users["reviewer"], "reopen", "")
    evaluation = reload(evaluation)
    service_action(evaluation, world.users["clerk"], "save", "重新打开后修改")
    assert reload(evaluation).actual_text == "重新打开后修改"


def test_admin_cannot_move_a_form_through_the_workflow(world):
    """In the Django admin the state and version are read-only: posting state=approved on a draft
    changes the text but not the state."""
    admin = Client()
    admin.force_login(world.users["admin"])
    sheet = put(world.sheet, S.DRAFT)
    url = reverse("admin:evaluations_targetsheet_change", args=[sheet.pk])
    data = {
        "year": sheet.year_id,
        "department": sheet.department_id,
        "project": sheet.project_id,
        "state": S.APPROVED,
        "version": 99,
        "overall_goal": "管理员更正",
        "indicators-TOTAL_FORMS": 0,
        "indicators-INITIAL_FORMS": 0,
        "indicators-MIN_NUM_FORMS": 0,
        "indicators-MAX_NUM_FORMS": 1000,
    }
    response = admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    sheet = reload(sheet)
    assert sheet.state == S.DRAFT and sheet.overall_goal == "管理员更正"
    assert sheet.version == 2 + 1  # saved once by the clerk, bumped by the admin's edit


def test_head_confirmation_year(world):
    """With 须单位负责人确认后送审 a clerk's submission waits for the head; a head's counts."""
    year = world.sheet.year
    year.require_head_confirmation = True
    year.save()
    sheet = put(world.sheet, S.DRAFT)
    service_action(sheet, world.users["clerk"], "submit", "")
    assert reload(sheet).state == S.PENDING_HEAD
    with pytest.raises(workflow.WorkflowError):
        service_action(reload(sheet), world.users["reviewer"], "approve", "")
    sheet = put(sheet, S.DRAFT)
    service_action(sheet, world.users["head"], "submit", "")
    assert reload(sheet).state == S.SUBMITTED


# --------------------------------------------------------------------------------------------
# 需整改 of a 监控表 (workflow.RECTIFICATIONS), its own small matrix
# --------------------------------------------------------------------------------------------

R_STATES = ["", "required", "answered", "closed"]
# step → (整改 states it starts from, roles, the 整改 state it leads to, form states it needs)
RECTIFY: dict[str, tuple[set[str], set[str], str, set[str] | None]] = {
    "require": ({"", "closed"}, FINANCE, "required", {S.SUBMITTED, S.APPROVED}),
    "answer": ({"required"}, UNIT, "answered", None),
    "close": ({"answered"}, FINANCE, "closed", None),
    "reject": ({"answered"}, FINANCE, "required", None),
}


def test_rectification_matrix(world):
    """Every step × 整改 state × role × form state, on the sheet and on a line: an allowed cell
    reaches its state with one audit record, a refused one changes nothing."""
    from evaluations.services import monitoring as svc

    sheet0 = world.monitoring
    line0 = sheet0.lines.order_by("id").first()
    cells, allowed_cells, failures = 0, 0, []
    for on_line in (False, True):
        model = MonitoringLine if on_line else MonitoringSheet
        pk = line0.pk if on_line else sheet0.pk
        for form_state in (S.DRAFT, S.SUBMITTED, S.APPROVED):
            for r_state in R_STATES:
                for role in ROLES:
                    for step, (sources, roles, after, form_states) in RECTIFY.items():
                        MonitoringSheet.objects.filter(pk=sheet0.pk).update(
                            state=form_state, rectification_state=""
                        )
                        model.objects.filter(pk=pk).update(rectification_state=r_state)
                        sheet = MonitoringSheet.objects.get(pk=sheet0.pk)
                        line = MonitoringLine.objects.get(pk=line0.pk) if on_line else None
                        allowed = (
                            r_state in sources
                            and role in roles
                            and (form_states is None or form_state in form_states)
                        )
                        cells += 1
                        audits = AuditLog.objects.count()
                        try:
                            svc.monitoring_rectification(
                                user=world.users[role],
                                sheet=sheet,
                                action=step,
                                text="意见",
                                line=line,
                            )
                            outcome = "done"
                        except workflow.WorkflowError:
                            outcome = "refused"
                        now = model.objects.get(pk=pk).rectification_state
                        where = f"{model.__name__} {form_state} {r_state!r} {role} {step}"
                        if allowed:
                            allowed_cells += 1
                            ok = (
                                outcome == "done"
                                and now == after
                                and AuditLog.objects.count() == audits + 1
                            )
                        else:
                            ok = (
                                outcome == "refused"
                                and now == r_state
                                and AuditLog.objects.count() == audits
                            )
                        if not ok:
                            failures.append(f"{where}: expected allowed={allowed}, got {outcome}")
    covered(
        f"需整改矩阵：整表/单行 × 3 表单状态 × {len(R_STATES)} 整改状态 × {len(ROLES)} 角色 × "
        f"{len(RECTIFY)} 操作 = {cells} 格，其中 {allowed_cells} 格允许"
    )
    assert not failures, "\n".join(failures)
