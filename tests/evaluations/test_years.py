"""Years through the services: the admin and `open_year` create a year with its classification,
a policy change in the admin recomputes the year in a task enqueued after commit."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from budgets.models import FiscalYear
from core.models import AuditLog
from evaluations import services
from evaluations.models import IndicatorCategory, SelfEvaluation, TargetSheet
from tests.factories import GOOD, save

pytestmark = pytest.mark.django_db
D = Decimal

DEFAULT_POLICY = {
    "execution_weight": "10",
    "indicator_weight": "90",
    "band_achieved_low": "0.8",
    "band_partial_low": "0.6",
    "grade_excellent": "90",
    "grade_good": "80",
    "grade_pass": "60",
    "score_places": "2",
    "percent_places": "2",
    "deviation_execution_threshold": "0.9",
    # 抽查复核 (issue 17): the form shows the defaults, a browser posts them back
    "sample_percent": "20",
    "sample_min_per_department": "1",
    "sample_low_execution": "0.8",
    "spot_check_difference_threshold": "5",
}


def year_form(fiscal_year=None, **overrides):
    """The admin's 年度 form as a browser posts it (unchecked boxes are absent)."""
    data = {"year": "2027", "evaluation_deadline": "", **DEFAULT_POLICY}
    if fiscal_year is not None:
        data.update({name: str(getattr(fiscal_year, name)) for name in DEFAULT_POLICY})
        data["evaluation_deadline"] = str(fiscal_year.evaluation_deadline or "")
        for box in ("is_current", "evaluation_open", "require_head_confirmation"):
            if getattr(fiscal_year, box):
                data[box] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def root_client(client, admin_user):
    client.force_login(admin_user)
    return client


def level1_weights(fiscal_year) -> Decimal:
    return sum(
        IndicatorCategory.objects.filter(year=fiscal_year, parent=None, is_active=True).values_list(
            "weight", flat=True
        ),
        D("0"),
    )


def test_a_year_added_in_the_admin_has_its_classification(root_client):
    response = root_client.post(reverse("admin:budgets_fiscalyear_add"), year_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    year = FiscalYear.objects.get(year=2027)
    # the three 一级 of the standard tree and their 二级, summing to the indicators' 90 points
    assert level1_weights(year) == year.indicator_weight == D("90")
    assert IndicatorCategory.objects.filter(year=year, parent__isnull=False).count() >= 9
    (log,) = AuditLog.objects.filter(object_type="budgets.FiscalYear", object_id=str(year.pk))
    assert log.action == "创建年度" and log.actor.username == "admin"


def test_marking_a_new_year_current_moves_the_mark(root_client, fiscal_year):
    assert fiscal_year.is_current
    response = root_client.post(reverse("admin:budgets_fiscalyear_add"), year_form(is_current="on"))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(FiscalYear.objects.filter(is_current=True).values_list("year", flat=True)) == [2027]


def test_open_year_creates_once_and_audits(fiscal_year):
    out = io.StringIO()
    call_command("open_year", "2027", stdout=out)
    year = FiscalYear.objects.get(year=2027)
    assert "已创建2027年度" in out.getvalue()
    assert level1_weights(year) == D("90")
    assert year.execution_weight == D("10") and not year.is_current
    logs = AuditLog.objects.filter(object_type="budgets.FiscalYear", object_id=str(year.pk))
    assert [log.action for log in logs] == ["创建年度"]
    categories = IndicatorCategory.objects.filter(year=year).count()

    again = io.StringIO()
    call_command("open_year", "2027", stdout=again)
    assert again.getvalue().strip() == "2027年度已存在，未修改。"
    assert IndicatorCategory.objects.filter(year=year).count() == categories
    assert logs.count() == 1


def test_open_year_completes_a_year_without_classification(db):
    bare = FiscalYear.objects.create(year=2026)  # as the admin used to add one
    out = io.StringIO()
    call_command("open_year", "2026", stdout=out)
    assert "2026年度已存在，已补齐" in out.getvalue()
    assert level1_weights(bare) == D("90")
    (log,) = AuditLog.objects.filter(object_type="budgets.FiscalYear", object_id=str(bare.pk))
    assert log.action == "补齐指标分类" and log.actor is None


def test_open_year_refuses_a_year_out_of_range(db):
    with pytest.raises(CommandError, match="年度须在2000至2099之间"):
        call_command("open_year", "27", stdout=io.StringIO())
    assert not FiscalYear.objects.exists()


def test_a_policy_change_recomputes_after_commit(
    root_client, evaluation, clerk, open_year, django_capture_on_commit_callbacks
):
    save(evaluation, clerk, GOOD)
    before = SelfEvaluation.objects.get(pk=evaluation.pk)
    assert before.grade == "优" and before.total_score >= D("90")
    url = reverse("admin:budgets_fiscalyear_change", args=[open_year.pk])
    stricter = year_form(
        open_year, grade_excellent="99.5", grade_good="99", grade_pass="98.5", year=None
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = root_client.post(url, stricter, follow=True)
    assert response.status_code == 200
    assert "正在后台重新计算" in response.content.decode()
    # nothing recomputed before the commit: the task is only enqueued then
    assert SelfEvaluation.objects.get(pk=evaluation.pk).grade == "优"
    open_year.refresh_from_db()
    assert open_year.recompute_pending
    assert "重算中" in root_client.get(url).content.decode()

    for callback in callbacks:
        callback()
    after = SelfEvaluation.objects.get(pk=evaluation.pk)
    assert after.grade == "差" and after.total_score == before.total_score
    open_year.refresh_from_db()
    assert not open_year.recompute_pending and open_year.recomputed_at
    assert "完成（" in root_client.get(url).content.decode()
    (log,) = AuditLog.objects.filter(action="修改年度")
    assert log.changes["grade_excellent"] == ["90.00", "99.50"]


def test_a_change_outside_the_policy_recomputes_nothing(
    root_client, open_year, django_capture_on_commit_callbacks
):
    url = reverse("admin:budgets_fiscalyear_change", args=[open_year.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        response = root_client.post(
            url, year_form(open_year, year=None, require_head_confirmation="on")
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert callbacks == []
    open_year.refresh_from_db()
    assert open_year.require_head_confirmation and open_year.recompute_requested == 0


def test_an_older_request_never_overwrites_a_newer_policy(evaluation, clerk, open_year):
    """Two policy changes in a row: the first task, whatever order the tasks run in, writes
    nothing (the second's task does), so the older policy's figures never win."""
    save(evaluation, clerk, GOOD)
    first = services.fiscal_year_update(fiscal_year=open_year, actor=None, grade_pass=D("61"))
    assert first.recompute_requested == 1
    services.fiscal_year_update(
        fiscal_year=open_year,
        actor=None,
        grade_excellent=D("99.5"),
        grade_good=D("99"),
        grade_pass=D("98.5"),
    )
    assert services.year_recompute_run(year_id=open_year.pk, request=1) == "superseded"
    assert SelfEvaluation.objects.get(pk=evaluation.pk).grade == "优"
    # and a run that began before the newer change writes nothing when it comes to write
    assert services.year_recompute(fiscal_year=open_year, request=1) is None
    assert services.year_recompute_run(year_id=open_year.pk, request=2) == "done"
    assert SelfEvaluation.objects.get(pk=evaluation.pk).grade == "差"


def test_forms_are_not_added_in_the_admin(root_client):
    for name in ("targetsheet", "selfevaluation", "targetadjustment"):
        assert root_client.get(reverse(f"admin:evaluations_{name}_add")).status_code == 403
        page = root_client.get(reverse(f"admin:evaluations_{name}_changelist")).content
        assert reverse(f"admin:evaluations_{name}_add").encode() not in page


def test_a_forms_identity_and_state_are_read_only(root_client, sheet, evaluation, tree):
    """Posted state, version, project, unit and computed totals are ignored (the edit still saves
    what the admin may correct)."""
    TargetSheet.objects.filter(pk=sheet.pk).update(state="draft")
    other = tree["other"]
    data = {
        "year": sheet.year_id,
        "department": other.pk,
        "project": "",
        "state": "approved",
        "version": 99,
        "overall_goal": "管理员更正",
        "indicators-TOTAL_FORMS": 0,
        "indicators-INITIAL_FORMS": 0,
        "indicators-MIN_NUM_FORMS": 0,
        "indicators-MAX_NUM_FORMS": 1000,
    }
    url = reverse("admin:evaluations_targetsheet_change", args=[sheet.pk])
    response = root_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = TargetSheet.objects.get(pk=sheet.pk)
    assert stored.overall_goal == "管理员更正"
    assert (stored.state, stored.department_id, stored.project_id) == (
        "draft",
        sheet.department_id,
        sheet.project_id,
    )
    page = root_client.get(
        reverse("admin:evaluations_selfevaluation_change", args=[evaluation.pk])
    ).content.decode()
    for field in ("total_score", "grade", "deadline_extension", "state", "version"):
        assert f'name="{field}"' not in page
