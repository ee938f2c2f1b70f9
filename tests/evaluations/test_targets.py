"""Target setting: validation, saving the grid, the workflow and its audit trail."""

from decimal import Decimal

import pytest

from budgets.models import Membership
from core.models import AuditLog
from evaluations import services, workflow
from evaluations.models import FormState, Indicator, TargetSheet
from tests.factories import ProjectFactory, category, member

pytestmark = pytest.mark.django_db
Role = Membership.Role


def row(
    fiscal_year,
    level2="数量指标",
    name="话务平台接听量",
    comparator="≥",
    target="45",
    unit="万件",
    weight="50",
    id=None,
):
    return services.IndicatorInput(
        id=id,
        category=category(fiscal_year, level2),
        name=name,
        comparator=comparator,
        target_value=target,
        unit=unit,
        weight=Decimal(weight),
        basis="历史标准",
    )


def complete_rows(fiscal_year):
    return [
        row(fiscal_year, "数量指标", "话务平台接听量", "≥", "45", "万件", "30"),
        row(fiscal_year, "时效指标", "设施维修时间", "≤", "2", "小时", "20"),
        row(fiscal_year, "社会效益指标", "保障服务大厅正常运行", "定性", "保障正常运转", "", "30"),
        row(fiscal_year, "服务对象满意度指标", "群众满意率", "≥", "95", "%", "10"),
    ]


@pytest.fixture
def sheet(tree, fiscal_year):
    project = ProjectFactory(department=tree["centre"], year=fiscal_year)
    return TargetSheet.objects.create(project=project, year=fiscal_year, department=tree["centre"])


@pytest.fixture
def clerk(tree):
    return member(tree["centre"], Role.CLERK)


@pytest.fixture
def reviewer(tree):
    return member(tree["bureau"], Role.REVIEWER)


def save(sheet, user, rows, goal="年度目标"):
    return services.target_sheet_save(
        sheet=sheet, user=user, overall_goal=goal, rows=rows, version=sheet.version
    )


def test_save_creates_reorders_and_removes_rows(sheet, clerk, fiscal_year):
    save(sheet, clerk, complete_rows(fiscal_year))
    ids = list(sheet.indicators.values_list("id", flat=True))
    assert len(ids) == 4
    first, second, *_ = sheet.indicators.all()
    # reorder: second before first, drop the others, add one
    rows = [
        row(fiscal_year, "时效指标", "设施维修时间", "≤", "2", "小时", "20", id=second.id),
        row(fiscal_year, "数量指标", "话务平台接听量", "≥", "50", "万件", "30", id=first.id),
        row(fiscal_year, "质量指标", "工单办结率", "≥", "98", "%", "5"),
    ]
    save(sheet, clerk, rows)
    assert [(i.name, i.target_value) for i in sheet.indicators.all()] == [
        ("设施维修时间", "2"),
        ("话务平台接听量", "50"),
        ("工单办结率", "98"),
    ]
    assert sheet.indicators.get(name="话务平台接听量").id == first.id
    log = AuditLog.objects.filter(action="绩效目标·保存").first()
    assert log.actor == clerk
    assert log.changes["added"] == ["工单办结率"]
    assert set(log.changes["removed"]) == {"保障服务大厅正常运行", "群众满意率"}
    assert log.changes["changed"]["话务平台接听量"]["target_value"] == ["45", "50"]


def test_submit_requires_every_rule(sheet, clerk, fiscal_year):
    rows = [
        row(fiscal_year, "数量指标", "话务平台接听量", "≥", "很多", "万件", "30"),
        row(fiscal_year, "时效指标", "设施维修时间", "≤", "2", "", "15"),
        row(fiscal_year, "社会效益指标", "保障服务大厅正常运行", "定性", "保障正常运转", "", "30"),
    ]
    save(sheet, clerk, rows)
    with pytest.raises(services.FormProblems) as error:
        services.target_sheet_transition(sheet=sheet, user=clerk, action="submit")
    problems = error.value
    by_name = {Indicator.objects.get(pk=pk).name: msgs for pk, msgs in problems.lines.items()}
    assert by_name["话务平台接听量"] == ["定量指标的年度指标值必须是数字（文字目标请选择“定性”）"]
    assert by_name["设施维修时间"] == ["定量指标须填写计量单位"]
    assert "产出指标的分值合计为45.00，应为50" in problems.general
    assert "满意度指标下至少须设置一个三级指标" in problems.general
    assert any(m.startswith("指标分值合计为75.00") for m in problems.general)
    sheet.refresh_from_db()
    assert sheet.state == FormState.DRAFT


def test_full_cycle_submit_return_resubmit_approve(sheet, clerk, reviewer, fiscal_year):
    save(sheet, clerk, complete_rows(fiscal_year))
    services.target_sheet_transition(sheet=sheet, user=clerk, action="submit")
    assert sheet.state == FormState.SUBMITTED and sheet.submitted_at
    line = sheet.indicators.get(name="群众满意率")
    services.target_sheet_transition(
        sheet=sheet,
        user=reviewer,
        action="return",
        reason="满意度目标偏低",
        line_comments={line.id: "应不低于98%"},
    )
    line.refresh_from_db()
    assert sheet.state == FormState.RETURNED
    assert line.review_comment == "应不低于98%"
    assert sheet.review_comment == "满意度目标偏低"
    rows = complete_rows(fiscal_year)
    for r, i in zip(rows, sheet.indicators.all(), strict=True):
        r.id = i.id
    rows[3].target_value = "98"
    save(sheet, clerk, rows)
    services.target_sheet_transition(sheet=sheet, user=clerk, action="submit")
    services.target_sheet_transition(sheet=sheet, user=reviewer, action="approve")
    assert sheet.state == FormState.APPROVED and sheet.approved_at
    line.refresh_from_db()
    assert line.review_comment == "" and line.target_value == "98"
    actions = list(
        AuditLog.objects.filter(object_type="evaluations.TargetSheet", object_id=str(sheet.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "绩效目标·保存",
        "绩效目标·提交",
        "绩效目标·退回",
        "绩效目标·保存",
        "绩效目标·提交",
        "绩效目标·审核通过",
    ]


def test_approved_targets_are_locked(sheet, clerk, reviewer, fiscal_year):
    save(sheet, clerk, complete_rows(fiscal_year))
    services.target_sheet_transition(sheet=sheet, user=clerk, action="submit")
    services.target_sheet_transition(sheet=sheet, user=reviewer, action="approve")
    with pytest.raises(workflow.WorkflowError):
        save(sheet, clerk, complete_rows(fiscal_year))
    with pytest.raises(workflow.WorkflowError, match="须填写原因"):
        services.target_sheet_transition(sheet=sheet, user=reviewer, action="reopen")
    services.target_sheet_transition(
        sheet=sheet, user=reviewer, action="reopen", reason="预算调整，需修改目标"
    )
    assert sheet.state == FormState.RETURNED
    assert (
        AuditLog.objects.filter(action="绩效目标·重新打开", reason="预算调整，需修改目标").count()
        == 1
    )


@pytest.mark.parametrize(
    "action,state,role",
    [
        ("approve", FormState.SUBMITTED, Role.CLERK),  # a clerk cannot approve
        ("approve", FormState.DRAFT, Role.REVIEWER),  # no skipping draft → approved
        ("submit", FormState.SUBMITTED, Role.CLERK),  # no double submission
        ("submit", FormState.DRAFT, Role.REVIEWER),  # a reviewer does not submit for a unit
        ("reopen", FormState.SUBMITTED, Role.REVIEWER),
        ("confirm", FormState.DRAFT, Role.HEAD),
    ],
)
def test_refused_transitions(sheet, tree, action, state, role):
    sheet.state = state
    sheet.save()
    user = member(tree["bureau"], role)
    with pytest.raises(workflow.WorkflowError):
        services.target_sheet_transition(sheet=sheet, user=user, action=action, reason="x")
    sheet.refresh_from_db()
    assert sheet.state == state


def test_reviewer_of_other_department_cannot_act(sheet, tree, clerk, fiscal_year):
    save(sheet, clerk, complete_rows(fiscal_year))
    services.target_sheet_transition(sheet=sheet, user=clerk, action="submit")
    outsider = member(tree["other"], Role.REVIEWER)
    with pytest.raises(workflow.WorkflowError, match="没有权限"):
        services.target_sheet_transition(sheet=sheet, user=outsider, action="approve")


def test_head_confirmation_when_the_year_requires_it(sheet, tree, clerk, reviewer, fiscal_year):
    fiscal_year.require_head_confirmation = True
    fiscal_year.save()
    save(sheet, clerk, complete_rows(fiscal_year))
    services.target_sheet_transition(sheet=sheet, user=clerk, action="submit")
    assert sheet.state == FormState.PENDING_HEAD
    with pytest.raises(workflow.WorkflowError):
        services.target_sheet_transition(sheet=sheet, user=reviewer, action="approve")
    head = member(tree["bureau"], Role.HEAD)
    services.target_sheet_transition(sheet=sheet, user=head, action="confirm")
    assert sheet.state == FormState.SUBMITTED


def test_stale_version_is_refused_and_first_save_survives(sheet, clerk, fiscal_year):
    stale = TargetSheet.objects.get(pk=sheet.pk)
    save(sheet, clerk, complete_rows(fiscal_year), goal="第一人的目标")
    with pytest.raises(services.FormConflict):
        save(stale, clerk, [], goal="第二人的目标")
    sheet.refresh_from_db()
    assert sheet.overall_goal == "第一人的目标"
    assert sheet.indicators.count() == 4


def test_start_creates_once_and_checks_access(tree, fiscal_year, clerk):
    project = ProjectFactory(department=tree["centre"], year=fiscal_year)
    first = services.target_sheet_start(user=clerk, project_id=project.pk)
    again = services.target_sheet_start(user=clerk, project_id=str(project.pk))
    assert first == again
    department_sheet = services.target_sheet_start(
        user=clerk, department_id=tree["centre"].pk, year_id=fiscal_year.pk
    )
    assert department_sheet.project is None
    theirs = ProjectFactory(department=tree["other"], year=fiscal_year)
    with pytest.raises(workflow.WorkflowError):
        services.target_sheet_start(user=clerk, project_id=theirs.pk)
    with pytest.raises(workflow.WorkflowError):
        services.target_sheet_start(user=clerk, project_id="abc")
