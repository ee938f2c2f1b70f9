"""消息 (budgets/notifications.py, evaluations/services/notices.py): each event tells the right
people once its transaction commits, by the centre and by mail (unless turned off); the daily
reminder is one message per person per day; 催办 is limited to once per department per day."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from budgets.models import Membership, Notification, Profile
from core.errors import UserError
from core.models import AuditLog
from evaluations import services
from evaluations.models import FormState, TargetAdjustment
from evaluations.services import notices
from tests.factories import (
    IndicatorFactory,
    ProjectFactory,
    SelfEvaluationFactory,
    TargetSheetFactory,
    member,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def people(tree):
    centre = tree["centre"]
    return {
        "clerk": member(centre, username="c_clerk", email="clerk@example.cn"),
        "head": member(centre, Role.HEAD, username="c_head", email="head@example.cn"),
        "other": member(tree["other"], username="o_clerk", email="other@example.cn"),
        "reviewer": member(tree["bureau"], Role.REVIEWER, username="rev", email="rev@x.cn"),
    }


def submitted_sheet(tree, fiscal_year, name="数据中心运维"):
    project = ProjectFactory(department=tree["centre"], year=fiscal_year, name=name)
    sheet = TargetSheetFactory(project=project, state=FormState.SUBMITTED)
    IndicatorFactory(sheet=sheet)
    return sheet


def test_return_tells_the_units_users_after_commit_with_the_reason(
    tree, fiscal_year, people, django_capture_on_commit_callbacks
):
    sheet = submitted_sheet(tree, fiscal_year)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.target_sheet_transition(
            sheet=sheet, user=people["reviewer"], action="return", reason="指标值过低"
        )
    assert not Notification.objects.exists() and not mail.outbox  # nothing before the commit
    for callback in callbacks:
        callback()
    told = Notification.objects.filter(kind="returned")
    assert sorted(n.user.username for n in told) == ["c_clerk", "c_head"]
    note = told.first()
    assert "数据中心运维" in note.title and "指标值过低" in note.body
    assert note.url == reverse("target_sheet", args=[sheet.pk])
    assert sorted(m.to[0] for m in mail.outbox) == ["clerk@example.cn", "head@example.cn"]
    assert "指标值过低" in mail.outbox[0].body and note.url in mail.outbox[0].body


@pytest.mark.parametrize(
    ("action", "kind", "start"),
    [("approve", "approved", FormState.SUBMITTED), ("reopen", "reopened", FormState.APPROVED)],
)
def test_approve_and_reopen_tell_the_unit(
    tree, fiscal_year, people, django_capture_on_commit_callbacks, action, kind, start
):
    sheet = submitted_sheet(tree, fiscal_year)
    sheet.state = start
    sheet.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.target_sheet_transition(
            sheet=sheet, user=people["reviewer"], action=action, reason="年中调整"
        )
    assert set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True)) == {
        "c_clerk",
        "c_head",
    }
    assert len(mail.outbox) == 2


def test_a_submission_tells_nobody(tree, fiscal_year, people, django_capture_on_commit_callbacks):
    project = ProjectFactory(department=tree["centre"], year=fiscal_year)
    evaluation = SelfEvaluationFactory(project=project, state=FormState.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.form_transition(form=evaluation, user=people["clerk"], action="withdraw")
    assert not Notification.objects.exists()


def test_a_rolled_back_transition_sends_nothing(
    tree, fiscal_year, people, django_capture_on_commit_callbacks
):
    sheet = submitted_sheet(tree, fiscal_year)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.target_sheet_transition(
            sheet=sheet, user=people["reviewer"], action="return", reason="原因"
        )
        raise RuntimeError("later failure")
    assert callbacks == [] and not Notification.objects.exists() and not mail.outbox


def test_email_opt_out_keeps_the_message_in_the_centre(
    tree, fiscal_year, people, django_capture_on_commit_callbacks
):
    Profile.objects.create(user=people["clerk"], email_notices=False)
    sheet = submitted_sheet(tree, fiscal_year)
    with django_capture_on_commit_callbacks(execute=True):
        services.target_sheet_transition(sheet=sheet, user=people["reviewer"], action="approve")
    assert Notification.objects.filter(user=people["clerk"]).count() == 1
    assert [m.to for m in mail.outbox] == [["head@example.cn"]]


def test_profile_page_turns_email_off(client, people):
    client.force_login(people["clerk"])
    response = client.post(
        reverse("profile"), {"name": "张三", "phone": "", "title": ""}, follow=True
    )
    assert response.status_code == 200
    assert Profile.objects.get(user=people["clerk"]).email_notices is False
    assert AuditLog.objects.filter(action="个人信息·修改").exists()


def test_a_department_without_own_users_tells_its_parents(
    tree, fiscal_year, django_capture_on_commit_callbacks
):
    parent_clerk = member(tree["bureau"], username="b_clerk")
    reviewer = member(tree["bureau"], Role.REVIEWER, username="rev2")
    project = ProjectFactory(department=tree["hotline"], year=fiscal_year)
    sheet = TargetSheetFactory(project=project, state=FormState.SUBMITTED)
    IndicatorFactory(sheet=sheet)
    with django_capture_on_commit_callbacks(execute=True):
        services.target_sheet_transition(sheet=sheet, user=reviewer, action="approve")
    assert list(Notification.objects.values_list("user", flat=True)) == [parent_clerk.pk]


def test_adjustment_decided_tells_the_requester(
    tree, fiscal_year, people, django_capture_on_commit_callbacks
):
    project = ProjectFactory(department=tree["centre"], year=fiscal_year)
    sheet = TargetSheetFactory(project=project, state=FormState.APPROVED)
    indicator = IndicatorFactory(sheet=sheet, name="上线事项数")
    adjustment = services.adjustment_request(
        indicator=indicator, user=people["clerk"], new_value="80", reason="政策变化"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.adjustment_decide(
            adjustment=adjustment, user=people["reviewer"], approve=False, comment="依据不足"
        )
    note = Notification.objects.get()
    assert note.user == people["clerk"] and note.kind == "adjustment"
    assert "已驳回" in note.title or TargetAdjustment.State.REJECTED.label in note.title
    assert "依据不足" in note.body and note.url.endswith(f"#adjustment-{adjustment.pk}")
    assert [m.to for m in mail.outbox] == [["clerk@example.cn"]]


# --- the daily reminder


@pytest.fixture
def due_year(fiscal_year):
    today = timezone.localdate()
    fiscal_year.target_deadline = today + datetime.timedelta(days=3)
    fiscal_year.evaluation_open = True
    fiscal_year.evaluation_deadline = today + datetime.timedelta(days=7)
    fiscal_year.save()
    return fiscal_year


def test_reminder_is_one_message_per_person_listing_all_forms_and_idempotent(
    tree, due_year, people
):
    centre = tree["centre"]
    ProjectFactory(department=centre, year=due_year, name="未填目标的项目")
    draft = TargetSheetFactory(
        project=ProjectFactory(department=centre, year=due_year, name="目标草稿")
    )
    approved = ProjectFactory(department=centre, year=due_year, name="自评草稿项目")
    TargetSheetFactory(project=approved, state=FormState.APPROVED)
    SelfEvaluationFactory(project=approved)
    far = ProjectFactory(department=centre, year=due_year, name="已延期的")
    TargetSheetFactory(project=far, state=FormState.APPROVED)
    SelfEvaluationFactory(
        project=far, deadline_extension=timezone.localdate() + datetime.timedelta(days=20)
    )
    ProjectFactory(department=tree["other"], year=due_year, name="别的单位")

    assert notices.deadline_reminders() == 3  # clerk, head, other's clerk
    mine = Notification.objects.get(user=people["clerk"], kind="deadline")
    for name in ("未填目标的项目", "目标草稿", "自评草稿项目", "部门整体"):
        assert name in mine.body
    assert "已延期的" not in mine.body and "别的单位" not in mine.body
    assert "还剩 3 天" in mine.title
    assert draft.title in mine.body
    assert len([m for m in mail.outbox if m.to == ["clerk@example.cn"]]) == 1
    sent = len(mail.outbox)

    assert notices.deadline_reminders() == 0  # the same day again: nobody told twice
    assert Notification.objects.filter(kind="deadline").count() == 3
    assert len(mail.outbox) == sent
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert notices.deadline_reminders(tomorrow) == 0  # 2 and 6 days left: no reminder day


def test_reminder_days_are_7_3_1_and_nothing_without_deadlines(tree, fiscal_year, people):
    ProjectFactory(department=tree["centre"], year=fiscal_year)
    assert notices.deadline_reminders() == 0
    today = timezone.localdate()
    # centre's clerk and head, and other's clerk (every active department owes its 部门整体)
    for days, told in ((2, 0), (1, 3), (7, 3), (0, 0), (-1, 0)):
        fiscal_year.target_deadline = today + datetime.timedelta(days=days)
        fiscal_year.save()
        Notification.objects.all().delete()
        assert notices.deadline_reminders() == told, days


def test_reminder_task_is_routed_and_scheduled(settings):
    from config.celery import app

    assert settings.CELERY_BEAT_SCHEDULE["remind-deadlines"]["task"] == (
        "evaluations.tasks.remind_deadlines"
    )
    assert settings.CELERY_TASK_ROUTES["evaluations.tasks.remind_deadlines"]["queue"].endswith(
        "default"
    )
    assert "evaluations.tasks.remind_deadlines" in app.tasks


# --- 催办


@pytest.fixture
def late_year(fiscal_year):
    fiscal_year.target_deadline = timezone.localdate() - datetime.timedelta(days=2)
    fiscal_year.save()
    return fiscal_year


def test_urge_all_late_tells_each_late_department_once_a_day(
    tree, late_year, people, django_capture_on_commit_callbacks
):
    ProjectFactory(department=tree["centre"], year=late_year, name="逾期未填")
    reviewer = people["reviewer"]  # reviews the bureau's subtree, not tree["other"]
    with django_capture_on_commit_callbacks(execute=True):
        result = notices.urge(user=reviewer, fiscal_year=late_year)
    assert result["sent"] == ["市政府大数据中心"] and result["skipped"] == []
    # the bureau and its hotline centre have no clerk or head: nobody to tell, not audited
    assert result["nobody"] == ["市政务服务和大数据管理局", "市12345公共服务热线中心"]
    assert tree["other"].name not in result["sent"]
    note = Notification.objects.get(user=people["clerk"], kind="urge")
    assert "逾期未填" in note.body and "已逾期" in note.title
    assert not Notification.objects.filter(user=people["other"]).exists()
    assert AuditLog.objects.filter(action="催办", object_id=str(tree["centre"].pk)).count() == 1

    second = member(tree["bureau"], Role.REVIEWER, username="rev_b")
    with django_capture_on_commit_callbacks(execute=True):
        again = notices.urge(user=second, fiscal_year=late_year, department_id=tree["centre"].pk)
    assert again == {"sent": [], "skipped": ["市政府大数据中心"], "nobody": []}
    assert Notification.objects.filter(user=people["clerk"], kind="urge").count() == 1


def test_urge_is_refused_outside_the_reviewers_departments_and_to_units(tree, late_year, people):
    ProjectFactory(department=tree["other"], year=late_year)
    with pytest.raises(UserError, match="没有权限"):
        notices.urge(user=people["reviewer"], fiscal_year=late_year, department_id=tree["other"].pk)
    with pytest.raises(UserError, match="只有财政审核人"):
        notices.urge(user=people["clerk"], fiscal_year=late_year)
    assert not Notification.objects.exists() and not AuditLog.objects.filter(action="催办")


# --- the centre


def test_centre_shows_only_ones_own_and_marks_read(client, tree, people):
    mine = Notification.objects.create(user=people["clerk"], kind="urge", title="给我的", url="/")
    theirs = Notification.objects.create(user=people["other"], kind="urge", title="别人的")
    client.force_login(people["clerk"])
    page = client.get(reverse("notifications")).content.decode()
    assert "给我的" in page and "别人的" not in page
    assert 'data-unread="1"' in page
    # someone else's id: nothing changes, no hint it exists
    response = client.post(reverse("notifications"), {"action": "read", "id": theirs.pk})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = client.post(reverse("notifications"), {"action": "open", "id": mine.pk})
    assert response.status_code == 302 and response["Location"] == "/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    Notification.objects.create(user=people["clerk"], kind="urge", title="二")
    Notification.objects.create(user=people["clerk"], kind="urge", title="三")
    client.post(reverse("notifications"), {"action": "all"})
    assert not Notification.objects.filter(user=people["clerk"], read_at=None).exists()
    assert Notification.objects.filter(user=people["other"], read_at=None).exists()
    # odd parameters are refused without a 500
    for data in ({"action": "x"}, {"action": "read", "id": "abc"}, {"action": "read"}):
        assert client.post(reverse("notifications"), data).status_code == 302


def test_open_never_redirects_off_site(client, people):
    note = Notification.objects.create(
        user=people["clerk"], kind="urge", title="t", url="https://evil.example/"
    )
    client.force_login(people["clerk"])
    response = client.post(reverse("notifications"), {"action": "open", "id": note.pk})
    assert response["Location"] == reverse("notifications")


def test_header_unread_count_is_one_query(client, people, django_assert_num_queries):
    from budgets.context_processors import navigation

    Notification.objects.create(user=people["clerk"], kind="urge", title="一")
    Notification.objects.create(
        user=people["clerk"], kind="urge", title="二", read_at=timezone.now()
    )

    class Request:
        user = people["clerk"]

    with django_assert_num_queries(1):
        assert int(str(navigation(Request())["unread"])) == 1
