"""Issue 17, item 1: the review chain 单位 → 主管部门 → 财政, below the browser. The year's
switch, which forms take the 主管部门 step, the 主管部门审核人's 退回 / 审核通过, 撤回 while nobody
above has acted, every level's comments (本行审核意见 and overall reasons) with their level, the
notifications to the next actor, the 待办 and the 审核工作台 of the 主管部门, and their cost."""

import html

import pytest
from django.urls import reverse

from budgets.models import Membership, Notification
from core.models import AuditLog
from evaluations import selectors, services, todo, workflow
from evaluations.models import FormState, LineComment, TargetSheet
from tests.factories import (
    GOOD,
    IndicatorFactory,
    ProjectFactory,
    TargetSheetFactory,
    member,
    post_data,
    save,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role
S = FormState


@pytest.fixture
def chain_year(open_year):
    open_year.require_supervisor_review = True
    open_year.save()
    return open_year


@pytest.fixture
def supervisor(tree):
    return member(tree["bureau"], Role.SUPERVISOR, username="dsj_super", first_name="周伟")


@pytest.fixture
def filled(evaluation, clerk, chain_year):
    save(evaluation, clerk, GOOD, execution_reason="合同款次年支付")
    evaluation.refresh_from_db()
    return evaluation


def act(form, user, action, reason="", comments=None):
    form.refresh_from_db()
    if isinstance(form, TargetSheet):
        services.target_sheet_transition(
            sheet=form, user=user, action=action, reason=reason, line_comments=comments
        )
    else:
        reviews = {pk: (None, text) for pk, text in (comments or {}).items()}
        services.evaluation_transition(
            evaluation=form, user=user, action=action, reason=reason, reviews=reviews
        )
    form.refresh_from_db()
    return form


def first_line(evaluation):
    return evaluation.results.order_by("indicator__order").first()


def test_the_switch_is_off_by_default_and_then_nothing_changes(
    evaluation, clerk, supervisor, open_year
):
    assert open_year.require_supervisor_review is False
    save(evaluation, clerk, GOOD, execution_reason="合同款次年支付")
    assert act(evaluation, clerk, "submit").state == S.SUBMITTED


def test_a_units_form_goes_through_the_supervisor(filled, clerk, supervisor, reviewer):
    evaluation = act(filled, clerk, "submit")
    assert evaluation.state == S.PENDING_SUPERVISOR
    # finance cannot act before the 主管部门 has
    with pytest.raises(workflow.WorkflowError):
        act(evaluation, reviewer, "approve")
    line = first_line(evaluation)
    comment = {line.pk: "接听量请附话务报表"}
    evaluation = act(evaluation, supervisor, "supervisor_return", "", comment)
    assert evaluation.state == S.RETURNED
    assert evaluation.supervisor_approved_at is None
    line.refresh_from_db()
    assert line.review_comment == "接听量请附话务报表"  # the unit sees it on the line
    kept = LineComment.objects.get()
    assert (kept.level, kept.round, kept.action) == ("supervisor", 1, "主管部门退回")
    evaluation = act(evaluation, clerk, "submit")
    assert evaluation.state == S.PENDING_SUPERVISOR
    evaluation = act(evaluation, supervisor, "supervisor_approve", "同意报送")
    assert evaluation.state == S.SUBMITTED and evaluation.supervisor_approved_at is not None
    # the unit may no longer take it back: the 主管部门 has acted
    assert not workflow.may(clerk, "withdraw", evaluation)
    with pytest.raises(workflow.WorkflowError, match="主管部门已审核通过"):
        act(evaluation, clerk, "withdraw")
    evaluation = act(evaluation, reviewer, "return", "请补充", {line.pk: "满意度调查样本太少"})
    assert evaluation.state == S.RETURNED
    rounds = list(LineComment.objects.order_by("round").values_list("round", "level", "text"))
    assert rounds == [
        (1, "supervisor", "接听量请附话务报表"),
        (3, "finance", "满意度调查样本太少"),
    ]
    # every level's overall reasons, newest first, with their level
    rounds = selectors.review_rounds(evaluation)
    got = [(r.number, r.level_label, r.label, r.reason) for r in rounds]
    assert got == [
        (3, "财政", "退回", "请补充"),
        (2, "主管部门", "主管部门审核通过", "同意报送"),
        (1, "主管部门", "主管部门退回", ""),
    ]
    # the form page reads the rounds and the 操作记录 in one query: the same rounds
    history, page_rounds = selectors.history_and_rounds(evaluation)
    assert page_rounds == rounds
    assert history == selectors.history(evaluation)
    # resubmitted: it goes through both levels again, and both see the earlier rounds' comments
    evaluation = act(evaluation, clerk, "submit")
    assert evaluation.state == S.PENDING_SUPERVISOR
    earlier = selectors.earlier_line_comments(evaluation)[line.indicator_id]
    assert [(c.level, c.text) for c in earlier] == [
        ("finance", "满意度调查样本太少"),
        ("supervisor", "接听量请附话务报表"),
    ]
    evaluation = act(evaluation, supervisor, "supervisor_approve")
    evaluation = act(evaluation, reviewer, "approve")
    assert evaluation.state == S.APPROVED and evaluation.snapshot
    actions = list(
        AuditLog.objects.filter(object_id=str(evaluation.pk), action__startswith="绩效自评·")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-8:] == [
        "绩效自评·提交",
        "绩效自评·主管部门退回",
        "绩效自评·提交",
        "绩效自评·主管部门审核通过",
        "绩效自评·退回",
        "绩效自评·提交",
        "绩效自评·主管部门审核通过",
        "绩效自评·审核通过",
    ]


def test_withdraw_while_the_supervisor_has_not_acted(filled, clerk, supervisor):
    evaluation = act(filled, clerk, "submit")
    assert workflow.may(clerk, "withdraw", evaluation)
    assert act(evaluation, clerk, "withdraw").state == S.DRAFT


def test_supervisor_approval_clears_the_lines_for_finance(filled, clerk, supervisor, reviewer):
    """A 主管部门's 本行审核意见 given with its 审核通过 are kept as an earlier round's: finance's
    own round starts clean, and finance sees them under the line."""
    evaluation = act(filled, clerk, "submit")
    line = first_line(evaluation)
    evaluation = act(evaluation, supervisor, "supervisor_approve", "", {line.pk: "已核实"})
    line.refresh_from_db()
    assert line.review_comment == ""
    earlier = selectors.earlier_line_comments(evaluation)[line.indicator_id]
    assert [(c.level, c.text) for c in earlier] == [("supervisor", "已核实")]


def test_supervisor_return_needs_a_reason_or_a_line_comment(filled, clerk, supervisor):
    evaluation = act(filled, clerk, "submit")
    with pytest.raises(workflow.WorkflowError, match="退回原因"):
        act(evaluation, supervisor, "supervisor_return")
    evaluation.refresh_from_db()
    assert evaluation.state == S.PENDING_SUPERVISOR


def test_which_forms_take_the_step(tree, chain_year, supervisor, reviewer):
    """A 主管部门's own forms go straight to finance; so do a unit's whose 主管部门 has no
    主管部门审核人 (tree["other"] has none), and nothing depends on a supervisor of the unit
    itself."""
    own = TargetSheetFactory(project=ProjectFactory(department=tree["bureau"], year=chain_year))
    unit = TargetSheetFactory(project=ProjectFactory(department=tree["centre"], year=chain_year))
    child = tree["other"].children.create(code="200001", name="市教育局所属学校")
    member(child, Role.SUPERVISOR)  # on the unit itself: not a department above it
    orphan = TargetSheetFactory(project=ProjectFactory(department=child, year=chain_year))
    assert not workflow.supervisor_step(own)
    assert workflow.supervisor_step(unit)
    assert not workflow.supervisor_step(orphan)
    # an inactive 主管部门审核人 reviews nothing: the unit's forms go straight to finance
    supervisor.is_active = False
    supervisor.save()
    assert not workflow.supervisor_step(unit)


def test_head_confirmation_then_supervisor(filled, clerk, supervisor, tree):
    year = filled.year
    year.require_head_confirmation = True
    year.save()
    head = member(tree["centre"], Role.HEAD)
    evaluation = act(filled, clerk, "submit")
    assert evaluation.state == S.PENDING_HEAD
    assert "单位负责人确认送审，再由主管部门审核人审核" in workflow.submit_confirmation(
        clerk, evaluation
    )
    assert act(evaluation, head, "confirm").state == S.PENDING_SUPERVISOR


def test_target_sheet_through_the_chain(sheet, tree, chain_year, supervisor, reviewer):
    clerk = member(tree["centre"])
    TargetSheet.objects.filter(pk=sheet.pk).update(state=S.DRAFT)
    sheet.refresh_from_db()
    line = sheet.indicators.order_by("order").first()
    sheet = act(sheet, clerk, "submit")
    assert sheet.state == S.PENDING_SUPERVISOR
    sheet = act(sheet, supervisor, "supervisor_return", "", {line.pk: "指标值偏低"})
    assert sheet.state == S.RETURNED
    assert LineComment.objects.get().level == "supervisor"
    sheet = act(sheet, clerk, "submit")
    sheet = act(sheet, supervisor, "supervisor_approve")
    assert sheet.state == S.SUBMITTED
    assert act(sheet, reviewer, "approve").state == S.APPROVED


def test_notifications_go_to_the_next_actor(
    filled, clerk, supervisor, reviewer, tree, django_capture_on_commit_callbacks
):
    other_supervisor = member(tree["other"], Role.SUPERVISOR)
    with_commit = django_capture_on_commit_callbacks
    with with_commit(execute=True):
        evaluation = act(filled, clerk, "submit")
    told = Notification.objects.filter(kind="review")
    assert list(told.values_list("user_id", flat=True)) == [supervisor.pk]
    assert "待主管部门审核" in told.get().title
    assert not Notification.objects.filter(user=other_supervisor).exists()
    with with_commit(execute=True):
        evaluation = act(evaluation, supervisor, "supervisor_return", "请补充附件")
    returned = Notification.objects.get(user=clerk, kind="returned")
    assert "被主管部门退回" in returned.title and "退回原因：请补充附件" in returned.body
    with with_commit(execute=True):
        evaluation = act(evaluation, clerk, "submit")
        evaluation = act(evaluation, supervisor, "supervisor_approve")
    assert Notification.objects.filter(user=reviewer, kind="review", title__contains="待财政审核")
    assert Notification.objects.filter(user=clerk, kind="forwarded").exists()


# ---- the pages ---------------------------------------------------------------------------------


def page(client, form) -> str:
    name = "target_sheet" if isinstance(form, TargetSheet) else "evaluation"
    return html.unescape(client.get(reverse(name, args=[form.pk])).content.decode())


def test_supervisor_page_buttons_and_comments(client, filled, clerk, supervisor, reviewer):
    evaluation = act(filled, clerk, "submit")
    client.force_login(supervisor)
    text = page(client, evaluation)
    assert 'value="supervisor_approve"' in text and 'value="supervisor_return"' in text
    assert 'name="line-' in text and 'name="review-' not in text  # 审核得分 is finance's
    line = first_line(evaluation)
    data = post_data(evaluation, GOOD, action="supervisor_return", reason="")
    data[f"line-{line.pk}"] = "请附话务报表"
    assert client.post(reverse("evaluation", args=[evaluation.pk]), data).status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.state == S.RETURNED
    client.force_login(clerk)
    text = page(client, evaluation)
    assert "请附话务报表" in text and "历次审核意见" in text and "主管部门退回" in text
    # finance sees nothing to act on while the form waits for the 主管部门
    act(evaluation, clerk, "submit")
    client.force_login(reviewer)
    text = page(client, evaluation)
    assert 'value="approve"' not in text and 'value="supervisor_approve"' not in text


def test_supervisor_todo_and_queue(client, filled, clerk, supervisor, reviewer, chain_year):
    evaluation = act(filled, clerk, "submit")
    sections = {s.key: s for s in todo.todo_for(supervisor, chain_year).sections}
    assert [e.text for e in sections["supervise"].entries] == [evaluation.title]
    assert "review" not in sections  # finance's section is finance's
    assert "supervise" not in {s.key for s in todo.todo_for(reviewer, chain_year).sections}
    client.force_login(supervisor)
    text = html.unescape(client.get(reverse("review_queue")).content.decode())
    assert evaluation.title in text and "待主管部门审核的表单" in text
    assert 'id="bulk-form"' not in text and "目标调整待审批" not in text
    # 批量审核 is finance's: a 主管部门审核人 posting to it finds nothing
    assert client.post(reverse("review_bulk"), {"year": chain_year.year}).status_code == 404
    home = html.unescape(client.get(reverse("home")).content.decode())
    assert "待主管部门审核" in home and evaluation.title in home
    # finance's queue does not show it as waiting for finance
    client.force_login(reviewer)
    text = html.unescape(client.get(reverse("review_queue")).content.decode())
    assert evaluation.title not in text


def test_supervisor_queue_costs_the_same_whatever_the_size(
    client, django_assert_max_num_queries, tree, chain_year, supervisor
):
    def add(n):
        for _ in range(n):
            sheet = TargetSheetFactory(
                project=ProjectFactory(department=tree["centre"], year=chain_year),
                state=S.PENDING_SUPERVISOR,
            )
            IndicatorFactory(sheet=sheet)

    client.force_login(supervisor)
    add(2)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("review_queue"))
        client.get(reverse("home"))
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("review_queue")).status_code == 200
        assert client.get(reverse("home")).status_code == 200


def test_the_switch_is_a_year_setting(admin_user, open_year):
    services.fiscal_year_update(
        fiscal_year=open_year, actor=admin_user, require_supervisor_review=True
    )
    open_year.refresh_from_db()
    assert open_year.require_supervisor_review is True
