"""绩效运行监控 pages: the rounds page, the 监控表 page (typed values kept on refusal, fixed
query counts), the admin opening a round through the service, the 待办 and 审核工作台 entries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditLog
from evaluations import todo
from evaluations.models import FormState, MonitoringRound, MonitoringSheet
from evaluations.services import monitoring as svc
from tests.factories import IndicatorFactory, ProjectFactory, TargetSheetFactory, UserFactory

AS_OF = datetime.date(2025, 7, 31)


def deadline():
    return timezone.localdate() + datetime.timedelta(days=30)


@pytest.fixture
def round_(sheet, reviewer):
    return svc.monitoring_round_open(
        user=reviewer, year=2025, name="2025年1–7月绩效运行监控", as_of=AS_OF, deadline=deadline()
    )


@pytest.fixture
def msheet(round_):
    return round_.sheets.get()


def post_of(sheet, action="save", **lines):
    data = {"action": action, "version": sheet.version, "executed_to_date": "90"}
    data["predicted_execution"] = "158"
    for line in sheet.lines.select_related("indicator"):
        quantitative = not line.indicator.is_qualitative
        data |= {
            f"actual-{line.pk}": "30" if quantitative else "正常",
            f"predicted-{line.pk}": "96" if quantitative else "正常",
            f"likelihood-{line.pk}": "certain",
        }
    data |= lines
    return data


def test_reviewer_opens_a_round_on_the_page(client, sheet, reviewer):
    client.force_login(reviewer)
    url = reverse("monitoring") + "?year=2025"
    bad = {"action": "open", "name": "七月", "as_of": "2025-07-31", "deadline": "2025-07-01"}
    body = client.post(url, bad).content.decode()
    assert "报送截止日期不能早于截至日期" in body and 'value="七月"' in body
    assert not MonitoringRound.objects.exists()
    good = {**bad, "deadline": str(deadline())}
    response = client.post(url, good)
    assert response.status_code == 302
    assert MonitoringRound.objects.get().sheets.count() == 1


def test_a_clerk_may_not_manage_rounds(client, sheet, clerk):
    client.force_login(clerk)
    url = reverse("monitoring") + "?year=2025"
    data = {"action": "open", "name": "x", "as_of": "2025-07-31", "deadline": str(deadline())}
    response = client.post(url, data)
    assert response.status_code in (302, 400)
    assert not MonitoringRound.objects.exists()


def test_refused_save_keeps_what_was_typed(client, msheet, clerk):
    client.force_login(clerk)
    line = msheet.lines.select_related("indicator").exclude(indicator__comparator="定性").first()
    data = post_of(msheet, **{f"actual-{line.pk}": "大约一半", f"reason-{line.pk}": "我的说明"})
    response = client.post(reverse("monitoring_sheet", args=[msheet.pk]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "1–7月实际完成值须为数字" in body
    assert 'value="大约一半"' in body and "我的说明" in body
    msheet.refresh_from_db()
    assert msheet.version == 1 and msheet.executed_to_date is None


def test_submit_refused_for_a_red_line_without_reason_then_given(client, msheet, clerk):
    client.force_login(clerk)
    line = msheet.lines.order_by("id").first()
    url = reverse("monitoring_sheet", args=[msheet.pk])
    data = post_of(msheet, "submit", **{f"likelihood-{line.pk}": "impossible"})
    body = client.post(url, data).content.decode()
    assert "红灯指标须填写偏差原因说明" in body and "已保存草稿，但尚不能提交" in body
    msheet.refresh_from_db()
    assert msheet.state == FormState.DRAFT and msheet.light == "red"
    data = post_of(
        msheet,
        "submit",
        **{
            f"likelihood-{line.pk}": "impossible",
            f"category-{line.pk}": "funding",
            f"reason-{line.pk}": "资金未到位",
        },
    )
    assert client.post(url, data).status_code == 302
    msheet.refresh_from_db()
    assert msheet.state == FormState.SUBMITTED


def _more_sheets(tree, year, n):
    for _ in range(n):
        target = TargetSheetFactory(
            project=ProjectFactory(department=tree["centre"], year=year), state=FormState.APPROVED
        )
        for _ in range(3):
            IndicatorFactory(sheet=target)


def test_pages_cost_a_fixed_number_of_queries(
    client, tree, sheet, reviewer, round_, django_assert_max_num_queries
):
    client.force_login(reviewer)
    list_url = reverse("monitoring") + f"?year=2025&round={round_.pk}"
    msheet = round_.sheets.get()
    sheet_url = reverse("monitoring_sheet", args=[msheet.pk])
    with CaptureQueriesContext(connection) as small_list:
        assert client.get(list_url).status_code == 200
    with CaptureQueriesContext(connection) as small_sheet:
        assert client.get(sheet_url).status_code == 200
    _more_sheets(tree, sheet.year, 12)
    svc.monitoring_round_fill(user=reviewer, round=round_)
    for _ in range(8):
        IndicatorFactory(sheet=sheet)
    MonitoringSheet.objects.filter(pk=msheet.pk).delete()
    svc.monitoring_round_fill(user=reviewer, round=round_)
    big = round_.sheets.get(project=sheet.project)
    assert big.lines.count() == 12
    with django_assert_max_num_queries(len(small_list)):
        assert client.get(list_url).status_code == 200
    with django_assert_max_num_queries(len(small_sheet)):
        assert client.get(reverse("monitoring_sheet", args=[big.pk])).status_code == 200
    print(f"\n监控批次页 {len(small_list)} 次查询，监控表页 {len(small_sheet)} 次查询")


def test_other_departments_get_404(client, msheet, tree):
    from tests.factories import member

    client.force_login(member(tree["other"]))
    assert client.get(reverse("monitoring_sheet", args=[msheet.pk])).status_code == 404


def test_admin_opens_a_round_through_the_service(client, sheet):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = reverse("admin:evaluations_monitoringround_add")
    data = {
        "year": sheet.year.pk,
        "name": "后台开启",
        "as_of": "2025-06-30",
        "deadline": str(deadline()),
        "is_open": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    opened = MonitoringRound.objects.get()
    assert opened.sheets.count() == 1
    assert AuditLog.objects.filter(action="绩效监控·开启批次").count() == 1
    bad = {**data, "as_of": "2025-06-30", "name": "重复"}
    assert "已有截至" in client.post(url, bad).content.decode()


def test_todo_and_review_queue(client, msheet, clerk, reviewer):
    sections = {s.key: s for s in todo.todo_for(clerk, msheet.year).sections}
    assert any(e.tag == "绩效监控表" for e in sections["fill"].entries)
    data = post_of(msheet)
    svc.monitoring_sheet_save(
        user=clerk,
        sheet=msheet,
        version=1,
        funds={"executed_to_date": "90", "predicted_execution": "158"},
        lines={
            int(k.split("-")[1]): {
                "actual_to_date": v,
                "predicted_value": v,
                "likelihood": "certain",
            }
            for k, v in data.items()
            if k.startswith("actual-")
        },
    )
    svc.monitoring_sheet_transition(sheet=msheet, user=clerk, action="submit")
    sections = {s.key: s for s in todo.todo_for(reviewer, msheet.year).sections}
    assert [e.tag for e in sections["review"].entries] == ["绩效监控表"]
    client.force_login(reviewer)
    body = client.get(reverse("review_queue") + "?year=2025&kind=monitoring").content.decode()
    assert reverse("monitoring_sheet", args=[msheet.pk]) in body
    svc.monitoring_rectification(user=reviewer, sheet=msheet, action="require", text="补充说明")
    sections = {s.key: s for s in todo.todo_for(clerk, msheet.year).sections}
    assert sections["rectify"].entries
    svc.monitoring_rectification(user=clerk, sheet=msheet, action="answer", text="已补充")
    sections = {s.key: s for s in todo.todo_for(reviewer, msheet.year).sections}
    assert sections["rectified"].entries
