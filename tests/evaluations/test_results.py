"""Self-evaluation: opening, saving drafts, the rules of submission, review, deadlines."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from budgets.models import Membership
from core.models import AuditLog
from evaluations import services, workflow
from evaluations.models import FormState, SelfEvaluation
from tests.factories import GOOD, ProjectFactory, TargetSheetFactory, save, typed

pytestmark = pytest.mark.django_db
Role = Membership.Role
D = Decimal


def test_start_creates_one_line_per_indicator(evaluation, sheet, clerk):
    assert evaluation.results.count() == 4
    assert services.evaluation_start(user=clerk, project_id=sheet.project_id) == evaluation
    # 118.3 / 158 = 74.87 % (the 自评综述 example of DOMAIN.md)
    assert evaluation.execution_rate == D("0.7487") and evaluation.execution_score == D("7.49")


def test_start_refused_before_targets_are_approved(tree, open_year, clerk):
    project = ProjectFactory(department=tree["centre"], year=open_year)
    TargetSheetFactory(project=project, state=FormState.SUBMITTED)
    with pytest.raises(workflow.WorkflowError, match="尚未批复"):
        services.evaluation_start(user=clerk, project_id=project.pk)


def test_start_refused_when_year_not_open(sheet, clerk, open_year):
    open_year.evaluation_open = False
    open_year.save()
    with pytest.raises(workflow.WorkflowError, match="尚未开启"):
        services.evaluation_start(user=clerk, project_id=sheet.project_id)


def test_save_computes_suggestions_and_blank_scores_take_them(evaluation, clerk):
    values = dict(GOOD, 话务平台接听量=("36", "", None, "话务员不足"))
    save(evaluation, clerk, values, execution_reason="项目延期")
    lines = {r.indicator.name: r for r in services.results_of(evaluation)}
    assert lines["话务平台接听量"].suggested_score == D("24.00")  # 30 × 36 / 45
    assert lines["话务平台接听量"].score == D("24.00")
    assert lines["设施维修时间"].score == D("20.00")
    evaluation.refresh_from_db()
    # 7.49 + 24 + 20 + 30 + 10
    assert evaluation.total_score == D("91.49") and evaluation.grade == "优"


def test_entered_score_is_kept_beside_the_suggestion(evaluation, clerk):
    values = dict(GOOD, 话务平台接听量=("36", "", "20", "话务员不足"))
    save(evaluation, clerk, values)
    line = evaluation.results.get(indicator__name="话务平台接听量")
    assert (line.suggested_score, line.score) == (D("24.00"), D("20.00"))


def test_submission_enforces_every_rule(evaluation, clerk):
    values = {
        "话务平台接听量": ("36", "", None, ""),  # below weight, no reason
        "设施维修时间": ("", "", None, ""),  # no actual value
        "保障大厅正常运行": ("基本正常", "partial", "25", "部分设施老化"),  # outside band
        "群众满意率": ("96", "", None, ""),
    }
    save(evaluation, clerk, values, actual_text="")
    with pytest.raises(services.FormProblems) as error:
        services.evaluation_transition(evaluation=evaluation, user=clerk, action="submit")
    by_name = {
        evaluation.results.get(pk=pk).indicator.name: m for pk, m in error.value.lines.items()
    }
    assert by_name["话务平台接听量"] == ["得分低于分值，须填写偏差原因分析及改进措施"]
    assert by_name["设施维修时间"] == ["请填写实际完成值", "请填写得分"]
    assert by_name["保障大厅正常运行"] == [
        "“部分达成年度指标并具有一定效果”的得分须在18.00分至24.00分（不含）之间"
    ]
    assert "请填写年度总体目标的实际完成情况" in error.value.general
    assert "预算执行率低于90%，须填写预算执行偏差原因" in error.value.general
    evaluation.refresh_from_db()
    assert evaluation.state == FormState.DRAFT


def test_qualitative_needs_a_level(evaluation, clerk):
    values = dict(GOOD, 保障大厅正常运行=("正常", "", "30", ""))
    save(evaluation, clerk, values, execution_reason="项目延期")
    with pytest.raises(services.FormProblems) as error:
        services.evaluation_transition(evaluation=evaluation, user=clerk, action="submit")
    assert list(error.value.lines.values()) == [["定性指标须选择完成等级"]]


def submitted(evaluation, clerk):
    save(evaluation, clerk, GOOD, execution_reason="部分合同款次年支付")
    services.evaluation_transition(evaluation=evaluation, user=clerk, action="submit")
    return evaluation


def test_review_with_adjusted_score_then_approve(evaluation, clerk, reviewer):
    submitted(evaluation, clerk)
    line = evaluation.results.get(indicator__name="保障大厅正常运行")
    services.evaluation_transition(
        evaluation=evaluation,
        user=reviewer,
        action="approve",
        reviews={line.id: (D("27"), "佐证材料不足，酌减")},
    )
    evaluation.refresh_from_db()
    line.refresh_from_db()
    assert evaluation.state == FormState.APPROVED
    assert (line.score, line.review_score, line.review_comment) == (
        D("30.00"),
        D("27.00"),
        "佐证材料不足，酌减",
    )
    assert evaluation.total_score == D("97.49")
    assert evaluation.review_total_score == D("94.49")
    # one record for the approval, with the review scores it carried
    record = AuditLog.objects.get(action="绩效自评·审核通过")
    assert record.changes["results"] == {"保障大厅正常运行": {"review_score": [None, "27"]}}


def test_review_score_outside_weight_refused(evaluation, clerk, reviewer):
    submitted(evaluation, clerk)
    line = evaluation.results.get(indicator__name="群众满意率")
    with pytest.raises(services.FormProblems):
        services.evaluation_transition(
            evaluation=evaluation, user=reviewer, action="approve", reviews={line.id: (D("11"), "")}
        )
    evaluation.refresh_from_db()
    assert evaluation.state == FormState.SUBMITTED


def test_return_with_line_comment_then_fix_and_resubmit(evaluation, clerk, reviewer):
    submitted(evaluation, clerk)
    line = evaluation.results.get(indicator__name="群众满意率")
    services.evaluation_transition(
        evaluation=evaluation,
        user=reviewer,
        action="return",
        reason="请核实",
        reviews={line.id: (None, "请附调查问卷")},
    )
    line.refresh_from_db()
    assert evaluation.state == FormState.RETURNED and line.review_comment == "请附调查问卷"
    save(evaluation, clerk, GOOD, execution_reason="部分合同款次年支付")
    services.evaluation_transition(evaluation=evaluation, user=clerk, action="submit")
    assert evaluation.state == FormState.SUBMITTED


def test_no_edit_while_submitted_or_approved(evaluation, clerk, reviewer):
    submitted(evaluation, clerk)
    with pytest.raises(workflow.WorkflowError):
        save(evaluation, clerk, GOOD)
    services.evaluation_transition(evaluation=evaluation, user=reviewer, action="approve")
    with pytest.raises(workflow.WorkflowError):
        save(evaluation, clerk, GOOD)


def test_deadline_stops_editing_until_extended(evaluation, clerk, reviewer, open_year):
    open_year.evaluation_deadline = timezone.localdate() - datetime.timedelta(days=1)
    open_year.save()
    evaluation = SelfEvaluation.objects.get(pk=evaluation.pk)
    with pytest.raises(workflow.WorkflowError, match="已过填报截止日期"):
        save(evaluation, clerk, GOOD)
    with pytest.raises(workflow.WorkflowError):
        services.evaluation_extend(
            evaluation=evaluation,
            user=clerk,
            until=timezone.localdate() + datetime.timedelta(days=7),
        )
    services.evaluation_extend(
        evaluation=evaluation,
        user=reviewer,
        until=timezone.localdate() + datetime.timedelta(days=7),
        reason="系统故障",
    )
    evaluation = SelfEvaluation.objects.get(pk=evaluation.pk)
    save(evaluation, clerk, GOOD)
    assert AuditLog.objects.filter(action="绩效自评·延期", reason="系统故障").exists()


def test_executed_amount_edited_on_the_form_updates_the_rate(evaluation, clerk):
    save(
        evaluation,
        clerk,
        GOOD,
        executed={"current": D("150"), "carryover": D("0"), "other": D("0")},
    )
    evaluation.refresh_from_db()
    evaluation.project.refresh_from_db()
    assert evaluation.project.executed_current == D("150")
    assert evaluation.execution_rate == D("0.9494")
    log = AuditLog.objects.filter(action="绩效自评·保存").latest("id")
    assert log.changes["executed_current"] == ["118.3000", "150"]


def test_preview_writes_nothing(evaluation, clerk, django_assert_max_num_queries):
    before = list(evaluation.results.values_list("actual_value", "score"))
    data = typed(evaluation, dict(GOOD, 话务平台接听量=("40", "", None, "")))
    preview = services.evaluation_preview(evaluation, data)
    line = next(v for v in preview["lines"].values() if v["suggested"] == D("26.67"))
    assert line["reason_required"] is True
    assert list(evaluation.results.values_list("actual_value", "score")) == before


def test_stale_save_refused(evaluation, clerk):
    stale = SelfEvaluation.objects.get(pk=evaluation.pk)
    save(evaluation, clerk, GOOD, actual_text="第一人")
    with pytest.raises(services.FormConflict):
        save(stale, clerk, GOOD, actual_text="第二人")
    evaluation.refresh_from_db()
    assert evaluation.actual_text == "第一人"


def test_year_recompute_follows_a_policy_change(
    evaluation, clerk, open_year, django_assert_max_num_queries
):
    save(evaluation, clerk, dict(GOOD, 话务平台接听量=("36", "", None, "")))
    open_year.percent_places = 0
    open_year.save()
    with django_assert_max_num_queries(9):
        assert services.year_recompute(fiscal_year=open_year) == 1
    evaluation.refresh_from_db()
    assert evaluation.execution_rate == D("0.75") and evaluation.execution_score == D("7.50")
