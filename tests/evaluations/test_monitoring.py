"""绩效运行监控: opening rounds, saving and submitting the 监控表, its lights, review and 需整改."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from budgets.models import Notification
from core.models import AuditLog
from evaluations import workflow
from evaluations.models import (
    FormState,
    MonitoringLine,
    MonitoringRound,
    MonitoringSheet,
    RectificationState,
)
from evaluations.services import FormConflict, FormProblems
from evaluations.services import monitoring as svc
from tests.factories import IndicatorFactory, ProjectFactory, TargetSheetFactory

D = Decimal
AS_OF = datetime.date(2025, 7, 31)


def deadline(days=30):
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def round_(sheet, reviewer):
    return svc.monitoring_round_open(
        user=reviewer, year=2025, name="2025年1–7月绩效运行监控", as_of=AS_OF, deadline=deadline()
    )


@pytest.fixture
def msheet(round_, sheet):
    return MonitoringSheet.objects.select_related("round", "year", "project").get(
        round=round_, project=sheet.project
    )


def lines(msheet):
    return {line.indicator.name: line for line in svc.lines_of(msheet)}


def fill(msheet, **overrides):
    """Every line 确定能完成 with numbers; overrides by indicator name."""
    values = {}
    for name, line in lines(msheet).items():
        row = {
            "actual_to_date": "保障正常运转" if line.indicator.is_qualitative else "30",
            "predicted_value": "保障正常运转" if line.indicator.is_qualitative else "46",
            "likelihood": "certain",
        }
        row.update(overrides.get(name, {}))
        values[line.pk] = row
    return values


FUNDS = {"executed_to_date": "90", "predicted_execution": "158", "execution_reason": ""}


def test_opening_creates_a_sheet_per_approved_target_with_its_lines(round_, sheet, tree):
    draft = TargetSheetFactory(project=ProjectFactory(department=tree["centre"], year=sheet.year))
    IndicatorFactory(sheet=draft)
    sheets = list(round_.sheets.all())
    assert [s.project_id for s in sheets] == [sheet.project_id]
    assert sheets[0].annual_budget == D("158")
    assert sheets[0].lines.count() == 4
    assert AuditLog.objects.filter(action="绩效监控·开启批次").count() == 1
    assert AuditLog.objects.filter(action="绩效监控表·创建").count() == 1


def test_notifications_after_commit(sheet, reviewer, clerk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        svc.monitoring_round_open(
            user=reviewer, year=2025, name="一季度", as_of=AS_OF, deadline=deadline()
        )
    message = Notification.objects.get(user=clerk)
    assert message.kind == "monitoring" and "一季度" in message.title


def test_only_finance_opens_and_dates_are_checked(sheet, clerk, reviewer):
    with pytest.raises(svc.MonitoringRefused, match="只有财政审核人"):
        svc.monitoring_round_open(user=clerk, year=2025, name="x", as_of=AS_OF, deadline=deadline())
    with pytest.raises(svc.RoundRefused, match="报送截止日期不能早于截至日期"):
        svc.monitoring_round_open(
            user=reviewer, year=2025, name="x", as_of=AS_OF, deadline=AS_OF - datetime.timedelta(1)
        )
    with pytest.raises(svc.RoundRefused, match="截至日期须在2025年内"):
        svc.monitoring_round_open(
            user=reviewer,
            year=2025,
            name="x",
            as_of=datetime.date(2024, 7, 31),
            deadline=deadline(),
        )
    svc.monitoring_round_open(user=reviewer, year=2025, name="x", as_of=AS_OF, deadline=deadline())
    with pytest.raises(svc.RoundRefused, match="已有截至"):
        svc.monitoring_round_open(
            user=reviewer, year=2025, name="y", as_of=AS_OF, deadline=deadline()
        )
    assert MonitoringRound.objects.count() == 1


def test_fill_adds_sheets_of_targets_approved_later(round_, sheet, reviewer, tree):
    later = TargetSheetFactory(
        project=ProjectFactory(department=tree["centre"], year=sheet.year),
        state=FormState.APPROVED,
    )
    IndicatorFactory(sheet=later)
    filled = svc.monitoring_round_fill(user=reviewer, round=round_)
    assert [s.project_id for s in filled.sheets] == [later.project_id]
    assert svc.monitoring_round_fill(user=reviewer, round=round_) == svc.Filled([], 0)


def test_fill_adds_lines_of_indicators_added_since(sheet, reviewer, clerk, submitted):
    # a draft 监控表 of the round gets the new line; a submitted one is left as it was sent
    other = svc.monitoring_round_open(
        user=reviewer, year=2025, name="九月", as_of=datetime.date(2025, 9, 30), deadline=deadline()
    )
    IndicatorFactory(sheet=sheet, name="新增指标")
    assert svc.monitoring_round_fill(user=reviewer, round=other) == svc.Filled([], 1)
    assert other.sheets.get().lines.filter(indicator__name="新增指标").exists()
    assert not submitted.lines.filter(indicator__name="新增指标").exists()
    assert svc.monitoring_round_fill(user=reviewer, round=other) == svc.Filled([], 0)


def test_save_stores_values_lights_and_audit(msheet, clerk):
    values = fill(msheet, 群众满意率={"likelihood": "impossible"})
    svc.monitoring_sheet_save(user=clerk, sheet=msheet, version=1, funds=FUNDS, lines=values)
    msheet.refresh_from_db()
    assert msheet.executed_to_date == D("90") and msheet.version == 2
    assert msheet.light == "red"
    assert lines(msheet)["群众满意率"].light == "red"
    assert lines(msheet)["话务平台接听量"].light == "green"
    record = AuditLog.objects.get(action="绩效监控表·保存")
    assert record.changes["executed_to_date"] == [None, "90.0000"]
    assert record.changes["lines"]["群众满意率"]["likelihood"] == ["", "impossible"]


def test_funds_light_from_execution_against_time(msheet, clerk):
    # 7/31 is 58% of the year; 30/158 = 19% trails by more than 20 points: red
    funds = {**FUNDS, "executed_to_date": "30"}
    svc.monitoring_sheet_save(user=clerk, sheet=msheet, version=1, funds=funds, lines=fill(msheet))
    msheet.refresh_from_db()
    assert msheet.funds_light == "red" and msheet.light == "red"


def test_words_and_too_many_digits_are_refused_and_nothing_saved(msheet, clerk):
    values = fill(msheet, 话务平台接听量={"actual_to_date": "很多"})
    funds = {**FUNDS, "executed_to_date": "1234567890123"}
    with pytest.raises(svc.InputRefused) as refused:
        svc.monitoring_sheet_save(user=clerk, sheet=msheet, version=1, funds=funds, lines=values)
    line = lines(msheet)["话务平台接听量"]
    assert "1–7月实际完成值须为数字" in refused.value.lines[line.pk][0]
    assert "是否把元当成了万元" in refused.value.general[0]
    msheet.refresh_from_db()
    assert msheet.version == 1 and msheet.executed_to_date is None
    assert not AuditLog.objects.filter(action="绩效监控表·保存").exists()


def test_a_stale_version_is_refused(msheet, clerk):
    svc.monitoring_sheet_save(user=clerk, sheet=msheet, version=1, funds=FUNDS, lines={})
    with pytest.raises(FormConflict):
        svc.monitoring_sheet_save(user=clerk, sheet=msheet, version=1, funds=FUNDS, lines={})


def test_others_and_finance_may_not_save(msheet, reviewer, tree):
    from tests.factories import member

    for user in (reviewer, member(tree["hotline"])):
        with pytest.raises(workflow.WorkflowError):
            svc.monitoring_sheet_save(user=user, sheet=msheet, version=1, funds=FUNDS, lines={})


def test_a_closed_round_or_a_past_deadline_refuses_editing(msheet, clerk, reviewer):
    svc.monitoring_round_set_open(user=reviewer, round=msheet.round, is_open=False)
    with pytest.raises(workflow.WorkflowError, match="填报已关闭"):
        svc.monitoring_sheet_save(user=clerk, sheet=msheet, version=1, funds=FUNDS, lines={})
    svc.monitoring_round_set_open(user=reviewer, round=msheet.round, is_open=True)
    MonitoringRound.objects.filter(pk=msheet.round_id).update(deadline=AS_OF)
    msheet.round.refresh_from_db()
    with pytest.raises(workflow.WorkflowError, match="已过报送截止日期"):
        svc.monitoring_sheet_save(user=clerk, sheet=msheet, version=1, funds=FUNDS, lines={})


def test_submission_needs_a_reason_for_a_red_line(msheet, clerk):
    values = fill(msheet, 群众满意率={"likelihood": "impossible"})
    svc.monitoring_sheet_save(user=clerk, sheet=msheet, version=1, funds=FUNDS, lines=values)
    with pytest.raises(FormProblems) as problems:
        svc.monitoring_sheet_transition(sheet=msheet, user=clerk, action="submit", version=2)
    line = lines(msheet)["群众满意率"]
    assert problems.value.lines[line.pk] == [
        "红灯指标须选择偏差原因类别",
        "红灯指标须填写偏差原因说明",
    ]
    msheet.refresh_from_db()
    assert msheet.state == FormState.DRAFT
    reason = {"deviation_category": "funding", "deviation_reason": "经费未到位"}
    values[line.pk].update(reason)
    svc.monitoring_sheet_save(user=clerk, sheet=msheet, version=2, funds=FUNDS, lines=values)
    svc.monitoring_sheet_transition(sheet=msheet, user=clerk, action="submit", version=3)
    assert msheet.state == FormState.SUBMITTED


def test_funds_yellow_or_red_need_the_execution_reason(msheet, clerk):
    funds = {**FUNDS, "executed_to_date": "30"}
    svc.monitoring_sheet_save(user=clerk, sheet=msheet, version=1, funds=funds, lines=fill(msheet))
    with pytest.raises(FormProblems, match="预算执行为红灯，须填写预算执行偏差原因"):
        svc.monitoring_sheet_transition(sheet=msheet, user=clerk, action="submit")


@pytest.fixture
def submitted(msheet, clerk):
    svc.monitoring_sheet_save(user=clerk, sheet=msheet, version=1, funds=FUNDS, lines=fill(msheet))
    return svc.monitoring_sheet_transition(sheet=msheet, user=clerk, action="submit")


def test_return_with_a_line_comment_then_approve(submitted, reviewer, clerk):
    line = lines(submitted)["话务平台接听量"]
    svc.monitoring_sheet_transition(
        sheet=submitted, user=reviewer, action="return", line_comments={line.pk: "请核实接听量"}
    )
    assert submitted.state == FormState.RETURNED
    assert MonitoringLine.objects.get(pk=line.pk).review_comment == "请核实接听量"
    svc.monitoring_sheet_transition(sheet=submitted, user=clerk, action="submit")
    assert MonitoringLine.objects.get(pk=line.pk).review_comment == ""
    svc.monitoring_sheet_transition(sheet=submitted, user=reviewer, action="approve")
    assert submitted.state == FormState.APPROVED
    with pytest.raises(workflow.WorkflowError):
        svc.monitoring_sheet_save(
            user=clerk, sheet=submitted, version=submitted.version, funds=FUNDS, lines={}
        )


def test_rectification_of_a_line_round_trip(submitted, reviewer, clerk):
    line = lines(submitted)["群众满意率"]
    with pytest.raises(workflow.WorkflowError, match="请填写整改要求和建议"):
        svc.monitoring_rectification(user=reviewer, sheet=submitted, action="require", line=line)
    with pytest.raises(workflow.WorkflowError, match="没有权限"):
        svc.monitoring_rectification(
            user=clerk, sheet=submitted, action="require", line=line, text="x"
        )
    svc.monitoring_rectification(
        user=reviewer, sheet=submitted, action="require", line=line, text="加强满意度调查"
    )
    line.refresh_from_db()
    assert line.rectification_state == RectificationState.REQUIRED
    with pytest.raises(workflow.WorkflowError, match="不能执行“关闭整改”"):
        svc.monitoring_rectification(user=reviewer, sheet=submitted, action="close", line=line)
    svc.monitoring_rectification(
        user=clerk, sheet=submitted, action="answer", line=line, text="已开展回访"
    )
    svc.monitoring_rectification(
        user=reviewer, sheet=submitted, action="reject", line=line, text="请附回访记录"
    )
    line.refresh_from_db()
    assert line.rectification_state == RectificationState.REQUIRED
    svc.monitoring_rectification(
        user=clerk, sheet=submitted, action="answer", line=line, text="已附回访记录"
    )
    svc.monitoring_rectification(user=reviewer, sheet=submitted, action="close", line=line)
    line.refresh_from_db()
    assert line.rectification_state == RectificationState.CLOSED
    assert line.rectification_result == "已附回访记录"
    actions = list(
        AuditLog.objects.filter(action__startswith="绩效监控表·")
        .exclude(action__in=["绩效监控表·创建", "绩效监控表·保存", "绩效监控表·提交"])
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == [
        "绩效监控表·需整改",
        "绩效监控表·答复整改",
        "绩效监控表·退回整改",
        "绩效监控表·答复整改",
        "绩效监控表·关闭整改",
    ]


def test_rectification_of_the_sheet_not_on_a_draft(msheet, reviewer):
    with pytest.raises(workflow.WorkflowError, match="须在提交后审核时或审核通过后"):
        svc.monitoring_rectification(user=reviewer, sheet=msheet, action="require", text="x")


def test_a_line_of_another_sheet_is_refused(submitted, reviewer, tree, sheet):
    other = MonitoringLine.objects.exclude(sheet=submitted).first()
    assert other is None  # only one sheet: make a second round's line
    later = svc.monitoring_round_open(
        user=reviewer, year=2025, name="二", as_of=datetime.date(2025, 9, 30), deadline=deadline()
    )
    foreign = MonitoringLine.objects.filter(sheet__round=later).first()
    with pytest.raises(workflow.WorkflowError, match="不属于本监控表"):
        svc.monitoring_rectification(
            user=reviewer, sheet=submitted, action="require", line=foreign, text="x"
        )


def test_overlong_text_and_unknown_choices_are_refused(msheet, clerk):
    line = lines(msheet)["话务平台接听量"]
    values = {line.pk: {"predicted_value": "9" * 201, "likelihood": "maybe"}}
    with pytest.raises(svc.InputRefused) as refused:
        svc.monitoring_sheet_save(
            user=clerk,
            sheet=msheet,
            version=1,
            funds={"execution_reason": "很" * 5001},
            lines=values,
        )
    assert "全年预计完成值超过200字" in refused.value.lines[line.pk][0]
    assert "完成目标可能性须从列表中选择" in refused.value.lines[line.pk][-1]
    assert "预算执行偏差原因超过5000字" in refused.value.general[0]
