"""The self-evaluation page, its live preview and its review actions."""

from decimal import Decimal

import pytest
from django.urls import reverse

from budgets.models import Membership
from evaluations import services
from evaluations.models import FormState, SelfEvaluation
from tests.factories import GOOD, IndicatorFactory, member, post_data

pytestmark = pytest.mark.django_db
Role = Membership.Role


def url(evaluation, name="evaluation"):
    return reverse(name, args=[evaluation.pk])


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def test_clerk_sees_prefilled_form(clerk_client, evaluation):
    page = clerk_client.get(url(evaluation)).content.decode()
    assert "项目支出绩效自评表" in page
    assert 'name="executed-current" value="118.30"' in page
    assert "74.87%" in page and "群众满意率" in page


def test_save_then_submit(clerk_client, evaluation):
    assert clerk_client.post(url(evaluation), post_data(evaluation, GOOD)).status_code == 302
    evaluation.refresh_from_db()
    response = clerk_client.post(url(evaluation), post_data(evaluation, GOOD, action="submit"))
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.state == FormState.SUBMITTED


def test_bad_number_saves_nothing_and_keeps_input(clerk_client, evaluation):
    values = dict(GOOD, 话务平台接听量=("47", "", "三十", ""))
    data = post_data(evaluation, values, **{"executed-current": "-5", "actual_text": "我写的文字"})
    page = clerk_client.post(url(evaluation), data).content.decode()
    assert "填写有误，未保存" in page
    assert "得分必须是数字" in page and "全年执行数不能为负数" in page
    assert "三十" in page and "我写的文字" in page and 'value="-5"' in page
    evaluation.refresh_from_db()
    assert evaluation.actual_text == ""


def test_submit_problems_are_shown_on_the_line(clerk_client, evaluation):
    values = dict(GOOD, 话务平台接听量=("36", "", None, ""))
    page = clerk_client.post(url(evaluation), post_data(evaluation, values, action="submit"))
    assert "得分低于分值，须填写偏差原因分析及改进措施" in page.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.state == FormState.DRAFT
    assert evaluation.results.get(indicator__name="话务平台接听量").actual_value == "36"


def test_preview_returns_live_scores(clerk_client, evaluation):
    values = dict(GOOD, 话务平台接听量=("40", "", None, ""), 设施维修时间=("3", "", None, ""))
    data = clerk_client.post(
        url(evaluation, "evaluation_preview"), post_data(evaluation, values)
    ).json()
    by_suggestion = sorted(line["suggested"] for line in data["lines"].values())
    assert by_suggestion == ["10.00", "10.00", "26.67", "30.00"]  # 反向: 20 × (1 − 1/2)
    assert data["execution_rate"] == "0.7487" and data["grade"] == "良"
    assert clerk_client.get(url(evaluation, "evaluation_preview")).status_code == 405


def test_preview_answers_typing_errors_in_its_json(clerk_client, evaluation):
    """A fund figure that is not a number is the preview's message, not a bad request (its
    error key, executed-current, carries no line id)."""
    data = post_data(evaluation, GOOD)
    data["executed-current"] = "abc"
    line = evaluation.results.order_by("id").first()
    data[f"score-{line.pk}"] = "abc"
    response = clerk_client.post(url(evaluation, "evaluation_preview"), data)
    assert response.status_code == 200
    assert "得分必须是数字" in response.json()["lines"][str(line.pk)]["problems"]


def test_reviewer_approves_with_adjusted_score(client, tree, evaluation, clerk):
    services.evaluation_save(
        evaluation=evaluation,
        user=clerk,
        data=services.EvaluationInput(
            "完成",
            "",
            "",
            "合同款次年支付",
            [
                services.ResultInput(r.id, *GOOD[r.indicator.name][:2], None, "")
                for r in services.results_of(evaluation)
            ],
        ),
        version=evaluation.version,
    )
    evaluation.refresh_from_db()
    for r in evaluation.results.filter(indicator__comparator="定性"):
        r.score = Decimal("30")
        r.save()
    services.evaluation_transition(evaluation=evaluation, user=clerk, action="submit")
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    page = client.get(url(evaluation)).content.decode()
    assert "审核通过" in page and "review-" in page
    line = evaluation.results.get(indicator__name="群众满意率")
    response = client.post(
        url(evaluation),
        {
            "action": "approve",
            "version": evaluation.version,
            f"review-{line.id}": "8",
            f"line-{line.id}": "样本量不足",
        },
    )
    assert response.status_code == 302
    line.refresh_from_db()
    evaluation.refresh_from_db()
    assert evaluation.state == FormState.APPROVED
    assert (line.review_score, line.review_comment) == (Decimal("8.00"), "样本量不足")


def test_other_department_gets_404(client, tree, evaluation):
    client.force_login(member(tree["other"]))
    assert client.get(url(evaluation)).status_code == 404
    assert client.post(url(evaluation, "evaluation_preview"), {}).status_code == 404


def test_start_button(clerk_client, sheet):
    response = clerk_client.post(reverse("evaluation_start"), {"project": sheet.project_id})
    evaluation = SelfEvaluation.objects.get(project=sheet.project)
    assert response["Location"] == url(evaluation)


@pytest.mark.parametrize("role", [Role.CLERK, Role.REVIEWER])
def test_query_count_does_not_grow(
    client,
    tree,
    evaluation,
    role,
    django_assert_max_num_queries,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(member(tree["bureau"], role))
    with CaptureQueriesContext(connection) as small:
        assert client.get(url(evaluation)).status_code == 200
    sheet = evaluation.project.target_sheet
    for _ in range(26):
        indicator = IndicatorFactory(sheet=sheet)
        evaluation.results.create(indicator=indicator)
    with django_assert_max_num_queries(len(small)):
        assert client.get(url(evaluation)).status_code == 200
