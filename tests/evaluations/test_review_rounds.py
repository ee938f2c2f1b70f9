"""Issue 14, item 3 and part of 9, below the browser: a refused 退回 / 审核通过 keeps what the
reviewer typed; a 本行审核意见 is a reason for 退回; line comments are kept per round and shown to
both sides after a resubmission; 撤回; the 提交审核 confirmation; the live 审核总分; breadcrumbs."""

import datetime
import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditLog
from evaluations import services, workflow
from evaluations.models import FormState, LineComment, TargetSheet
from tests.factories import GOOD, member, save

pytestmark = pytest.mark.django_db
S = FormState


@pytest.fixture
def submitted(evaluation, clerk):
    save(evaluation, clerk, GOOD, execution_reason="合同款次年支付")
    evaluation.refresh_from_db()
    services.evaluation_transition(evaluation=evaluation, user=clerk, action="submit")
    evaluation.refresh_from_db()
    return evaluation


@pytest.fixture
def submitted_sheet(sheet):
    TargetSheet.objects.filter(pk=sheet.pk).update(state=S.SUBMITTED, submitted_at=timezone.now())
    return TargetSheet.objects.get(pk=sheet.pk)


def page_of(client, form) -> str:
    name = "target_sheet" if isinstance(form, TargetSheet) else "evaluation"
    return html.unescape(client.get(reverse(name, args=[form.pk])).content.decode())


def post(client, form, data, follow=False):
    name = "target_sheet" if isinstance(form, TargetSheet) else "evaluation"
    return client.post(reverse(name, args=[form.pk]), data, follow=follow)


def lines(form):
    return (
        list(form.indicators.order_by("order"))
        if isinstance(form, TargetSheet)
        else list(form.results.order_by("indicator__order"))
    )


# ---- 退回: the overall reason OR a line comment ----------------------------------------------


def test_return_with_only_a_line_comment_is_accepted(client, reviewer, submitted, submitted_sheet):
    client.force_login(reviewer)
    for form in (submitted_sheet, submitted):
        first = lines(form)[0]
        data = {"action": "return", "reason": "", "version": form.version}
        data[f"line-{first.pk}"] = "目标值偏低"
        assert post(client, form, data).status_code == 302
        form.refresh_from_db()
        first.refresh_from_db()
        assert form.state == S.RETURNED and first.review_comment == "目标值偏低"
        kind = "targets" if isinstance(form, TargetSheet) else "evaluation"
        kept = LineComment.objects.get(indicator=getattr(first, "indicator", first), kind=kind)
        assert (kept.round, kept.action, kept.text, kept.author) == (
            1,
            "退回",
            "目标值偏低",
            reviewer,
        )


def test_return_without_any_reason_is_refused_and_keeps_the_scores(client, reviewer, submitted):
    client.force_login(reviewer)
    first, second = lines(submitted)[:2]
    data = {"action": "return", "reason": "", "version": submitted.version}
    data[f"review-{first.pk}"] = "20"
    data[f"review-{second.pk}"] = "15.5"
    response = post(client, submitted, data)
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "须填写退回原因，或至少填写一条本行审核意见" in text
    assert f'name="review-{first.pk}" value="20"' in text
    assert f'name="review-{second.pk}" value="15.5"' in text
    submitted.refresh_from_db()
    assert submitted.state == S.SUBMITTED


def test_refused_approval_keeps_every_typed_value(client, reviewer, submitted):
    client.force_login(reviewer)
    first, second = lines(submitted)[:2]
    data = {"action": "approve", "reason": "总体良好", "version": submitted.version}
    data[f"review-{first.pk}"] = "999"  # above the line's weight
    data[f"line-{first.pk}"] = "接听量统计口径不清"
    data[f"review-{second.pk}"] = "18"
    response = post(client, submitted, data)
    text = html.unescape(response.content.decode())
    assert response.status_code == 200 and "审核得分须在0至30之间" in text
    assert f'name="review-{first.pk}" value="999"' in text
    assert 'value="接听量统计口径不清"' in text
    assert f'name="review-{second.pk}" value="18"' in text
    assert ">总体良好</textarea>" in text
    submitted.refresh_from_db()
    assert submitted.state == S.SUBMITTED


def test_stale_return_keeps_line_comments_on_both_forms(
    client, reviewer, submitted, submitted_sheet
):
    client.force_login(reviewer)
    for form in (submitted_sheet, submitted):
        first = lines(form)[0]
        data = {"action": "return", "reason": "请修改", "version": form.version - 1}
        data[f"line-{first.pk}"] = "请补充依据"
        response = post(client, form, data)
        text = html.unescape(response.content.decode())
        assert response.status_code == 200, type(form)
        assert "已被他人修改" in text and 'value="请补充依据"' in text
        assert ">请修改</textarea>" in text
        form.refresh_from_db()
        assert form.state == S.SUBMITTED


# ---- earlier rounds' comments ------------------------------------------------------------------


def test_earlier_rounds_are_shown_to_both_sides(client, reviewer, clerk, submitted):
    first = lines(submitted)[0]
    services.evaluation_transition(
        evaluation=submitted,
        user=reviewer,
        action="return",
        reviews={first.pk: (None, "第一轮：请核实接听量")},
        version=submitted.version,
    )
    submitted.refresh_from_db()
    client.force_login(clerk)
    returned = page_of(client, submitted)
    assert "第一轮：请核实接听量" in returned and "往轮审核意见" not in returned
    services.evaluation_transition(evaluation=submitted, user=clerk, action="submit")
    submitted.refresh_from_db()
    first.refresh_from_db()
    assert first.review_comment == ""  # the new round starts clean …
    for user in (clerk, reviewer):  # … and both sides still see round 1
        client.force_login(user)
        text = page_of(client, submitted)
        assert "往轮审核意见" in text and "第1轮" in text and "第一轮：请核实接听量" in text
    services.evaluation_transition(
        evaluation=submitted,
        user=reviewer,
        action="return",
        reviews={first.pk: (None, "第二轮：仍需说明")},
        version=submitted.version,
    )
    kept = LineComment.objects.filter(indicator=first.indicator)
    assert [(c.round, c.text) for c in kept] == [
        (2, "第二轮：仍需说明"),
        (1, "第一轮：请核实接听量"),
    ]


def test_earlier_target_comments_on_the_grid_and_the_locked_sheet(
    client, reviewer, clerk, submitted_sheet
):
    first = lines(submitted_sheet)[0]
    services.target_sheet_transition(
        sheet=submitted_sheet,
        user=reviewer,
        action="return",
        line_comments={first.pk: "目标值偏低"},
        version=submitted_sheet.version,
    )
    submitted_sheet.refresh_from_db()
    LineComment.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    TargetSheet.objects.filter(pk=submitted_sheet.pk).update(submitted_at=timezone.now())
    client.force_login(clerk)
    assert "往轮审核意见" in page_of(client, submitted_sheet)  # the editable grid
    TargetSheet.objects.filter(pk=submitted_sheet.pk).update(state=S.SUBMITTED)
    for user in (clerk, reviewer):
        client.force_login(user)
        text = page_of(client, submitted_sheet)
        assert "往轮审核意见" in text and "目标值偏低" in text


# ---- 撤回 --------------------------------------------------------------------------------------


def test_clerk_withdraws_until_finance_acts(client, clerk, reviewer, submitted, submitted_sheet):
    client.force_login(clerk)
    for form in (submitted_sheet, submitted):
        assert 'value="withdraw"' in page_of(client, form)
        response = post(client, form, {"action": "withdraw", "version": form.version})
        assert response.status_code == 302
        form.refresh_from_db()
        assert form.state == S.DRAFT
        kind = "绩效目标" if form is submitted_sheet else "绩效自评"  # the two may share a pk
        record = AuditLog.objects.filter(object_id=str(form.pk), action=f"{kind}·撤回").get()
        assert record.changes["state"] == [S.SUBMITTED, S.DRAFT] and record.actor == clerk
        assert 'value="withdraw"' not in page_of(client, form)
    # once finance has acted there is nothing to withdraw
    TargetSheet.objects.filter(pk=submitted_sheet.pk).update(state=S.RETURNED)
    submitted_sheet.refresh_from_db()
    with pytest.raises(workflow.WorkflowError, match="不能执行“撤回”"):
        services.target_sheet_transition(
            sheet=submitted_sheet, user=clerk, action="withdraw", version=submitted_sheet.version
        )


def test_withdraw_after_the_deadline_is_refused(clerk, submitted):
    year = submitted.year
    year.evaluation_deadline = timezone.localdate() - datetime.timedelta(days=1)
    year.save()
    submitted.refresh_from_db()
    assert not workflow.may(clerk, "withdraw", submitted)
    with pytest.raises(workflow.WorkflowError, match="撤回后将不能再修改和提交"):
        services.evaluation_transition(evaluation=submitted, user=clerk, action="withdraw")
    submitted.refresh_from_db()
    assert submitted.state == S.SUBMITTED


# ---- 提交审核 confirmation, live 审核总分, breadcrumbs ------------------------------------------


def test_submit_asks_what_will_be_locked(client, clerk, evaluation, tree):
    client.force_login(clerk)
    text = page_of(client, evaluation)
    assert 'data-confirm="提交后，本绩效自评的全年执行数' in text
    assert "将被锁定" in text and "由财政部门审核人审核" in text and "撤回" in text
    year = evaluation.year
    year.require_head_confirmation = True
    year.save()
    assert "先由单位负责人确认送审" in page_of(client, evaluation)
    head = member(tree["centre"], workflow.Role.HEAD)
    client.force_login(head)  # a head's own submission is its confirmation
    assert "先由单位负责人确认送审" not in page_of(client, evaluation)


def test_live_review_total(client, reviewer, submitted):
    client.force_login(reviewer)
    first = lines(submitted)[0]
    url = reverse("evaluation_preview", args=[submitted.pk])
    data = {"mode": "review", f"review-{first.pk}": "20"}
    answer = client.post(url, data).json()
    # the self total minus what the reviewer took off that line (30 → 20)
    assert Decimal(answer["review_total"]) == submitted.total_score - (first.score - 20)
    assert answer["errors"] == {}
    assert client.post(url, {"mode": "review"}).json()["review_total"] is None
    bad = client.post(url, {"mode": "review", f"review-{first.pk}": "abc"}).json()
    assert f"review-{first.pk}" in bad["errors"]
    submitted.refresh_from_db()
    assert submitted.review_total_score is None  # nothing written
    assert 'id="bar-review"' in page_of(client, submitted)


def test_breadcrumbs_by_role(client, clerk, reviewer, submitted, submitted_sheet, tree):
    queue = reverse("review_queue")
    for form, kind, label in (
        (submitted_sheet, "targets", "绩效目标"),
        (submitted, "evaluation", "绩效自评"),
    ):
        client.force_login(reviewer)
        text = page_of(client, form)
        crumbs = text.split('<nav class="crumbs"')[1].split("</nav>")[0]
        assert f'href="{queue}?year={form.year.year}&kind={kind}">审核工作台</a>' in crumbs
        assert label in crumbs and "申报" not in crumbs
        client.force_login(clerk)
        crumbs = page_of(client, form).split('<nav class="crumbs"')[1].split("</nav>")[0]
        assert "审核工作台" not in crumbs
        assert ("绩效目标申报" if kind == "targets" else "绩效自评") in crumbs


def test_history_and_rounds_keep_rounds_older_than_the_last_50_records(
    submitted, clerk, reviewer, django_assert_num_queries
):
    """The page's one query: the 操作记录 shows the last 50 records; 历次审核意见 still lists a
    round whose record is older than those 50."""
    from core.audit import audit_record
    from evaluations import selectors

    services.evaluation_transition(
        evaluation=submitted, user=reviewer, action="return", reason="请补充佐证材料"
    )
    submitted.refresh_from_db()
    for n in range(selectors.HISTORY_SHOWN + 5):
        audit_record(actor=clerk, action=f"绩效自评·保存草稿{n}", obj=submitted)
    with django_assert_num_queries(1):
        history, rounds = selectors.history_and_rounds(submitted)
    assert history == selectors.history(submitted)
    assert len(history) == selectors.HISTORY_SHOWN
    assert history[0].action == f"绩效自评·保存草稿{selectors.HISTORY_SHOWN + 4}"
    assert rounds and rounds[0].reason == "请补充佐证材料"
    assert [(r.label, r.reason) for r in rounds] == [
        (r.label, r.reason) for r in selectors.review_rounds(submitted)
    ]
