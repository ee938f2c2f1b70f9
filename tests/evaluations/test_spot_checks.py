"""抽查复核 (issue 17): the draw (seeded, recorded, reproducible, only approved forms, only the
reviewer's departments), the re-check (scores within 0..分值, totals by the year's scoring, the
approved evaluation untouched, audited), the pages and their query budgets, and the 待办."""

from decimal import Decimal

import pytest
from django.urls import reverse

from budgets.models import Membership
from core.errors import UserError
from core.models import AuditLog
from evaluations import services
from evaluations.models import FormState, SelfEvaluation, SpotCheck, SpotCheckItem
from evaluations.services import spot_checks
from evaluations.services.spot_checks import SampleParameters, SpotCheckRefused
from evaluations.todo import todo_for
from tests.factories import GOOD, ProjectFactory, SelfEvaluationFactory, member, save

pytestmark = pytest.mark.django_db
D = Decimal
PARAMS = SampleParameters(percent=D("20"), minimum=1, low_execution=D("0.8"), seed=42)


@pytest.fixture
def approved(evaluation, clerk, reviewer):
    save(evaluation, clerk, GOOD, execution_reason="部分合同款次年支付")
    services.evaluation_transition(evaluation=evaluation, user=clerk, action="submit")
    services.evaluation_transition(evaluation=evaluation, user=reviewer, action="approve")
    evaluation.refresh_from_db()
    assert (evaluation.total_score, evaluation.grade) == (D("97.49"), "优")
    return evaluation


def plain_approved(department, year, n: int, **fields) -> list[SelfEvaluation]:
    """Approved evaluations without lines (for the draw's population)."""
    return [
        SelfEvaluationFactory(
            project=ProjectFactory(department=department, year=year),
            state=FormState.APPROVED,
            total_score=D("85"),
            grade="良",
            execution_rate=D("0.95"),
            **fields,
        )
        for _ in range(n)
    ]


def test_draw_records_seed_parameters_population_and_reasons(tree, approved, reviewer):
    year = approved.year
    others = plain_approved(tree["hotline"], year, 9)
    plain_approved(tree["other"], year, 5)  # not the reviewer's
    SelfEvaluationFactory(
        project=ProjectFactory(department=tree["centre"], year=year), state=FormState.SUBMITTED
    )
    sample = spot_checks.spot_check_draw(user=reviewer, fiscal_year=year, parameters=PARAMS)
    assert (sample.seed, sample.percent, sample.minimum) == (42, D("20"), 1)
    assert sorted(c["id"] for c in sample.population) == sorted(
        [approved.pk, *(e.pk for e in others)]
    )
    items = {i.evaluation_id: i.reasons for i in sample.items.all()}
    # 优 with 执行率 74.87% < 80%: always; the hotline's minimum of one; 20% of 10 = 2 in all
    assert items[approved.pk] == ["excellent_low"]
    assert len(items) == 2 and set(items) - {approved.pk} <= {e.pk for e in others}
    assert all(r == ["random"] for pk, r in items.items() if pk != approved.pk)
    record = AuditLog.objects.get(action="抽查复核·抽取")
    assert record.changes["seed"] == [None, "42"] and record.actor == reviewer
    # the recorded draw, drawn again, is the same sample
    assert spot_checks.spot_check_redraw(sample) == items


def test_same_seed_over_the_same_population_gives_the_same_sample(tree, fiscal_year, reviewer):
    plain_approved(tree["centre"], fiscal_year, 12)
    plain_approved(tree["hotline"], fiscal_year, 12)
    params = SampleParameters(percent=D("25"), minimum=2, low_execution=D("0.8"), seed=2026)
    first = spot_checks.spot_check_draw(user=reviewer, fiscal_year=fiscal_year, parameters=params)
    chosen = sorted(first.items.values_list("evaluation_id", flat=True))
    # put the population back as it was (a new draw chooses among forms not yet sampled)
    SpotCheckItem.objects.all().delete()
    again = spot_checks.spot_check_draw(user=reviewer, fiscal_year=fiscal_year, parameters=params)
    assert sorted(again.items.values_list("evaluation_id", flat=True)) == chosen
    assert len(chosen) == 6  # 25% of 24


def test_flagged_forms_are_always_drawn_and_a_second_draw_takes_the_rest(
    tree, fiscal_year, reviewer
):
    flagged = plain_approved(tree["centre"], fiscal_year, 1, flags=[{"code": "x", "message": "m"}])
    plain_approved(tree["centre"], fiscal_year, 3)
    zero = SampleParameters(percent=D("0"), minimum=0, low_execution=D("0.8"), seed=1)
    first = spot_checks.spot_check_draw(user=reviewer, fiscal_year=fiscal_year, parameters=zero)
    assert [(i.evaluation_id, i.reasons) for i in first.items.all()] == [
        (flagged[0].pk, ["flagged"])
    ]
    everything = SampleParameters(percent=D("100"), minimum=0, low_execution=D("0.8"), seed=1)
    second = spot_checks.spot_check_draw(
        user=reviewer, fiscal_year=fiscal_year, parameters=everything
    )
    assert second.items.count() == 3
    with pytest.raises(SpotCheckRefused, match="没有可抽查的自评表"):
        spot_checks.spot_check_draw(user=reviewer, fiscal_year=fiscal_year, parameters=everything)


@pytest.mark.parametrize(
    "params, key",
    [
        (SampleParameters(D("101"), 1, D("0.8"), 1), "percent"),
        (SampleParameters(D("-1"), 1, D("0.8"), 1), "percent"),
        (SampleParameters(D("10"), 1001, D("0.8"), 1), "minimum"),
        (SampleParameters(D("10"), 1, D("-0.1"), 1), "low_execution"),
        (SampleParameters(D("10"), 1, D("1.01"), 1), "low_execution"),
        (SampleParameters(D("10"), 1, D("0.8"), 2**53), "seed"),
    ],
)
def test_bad_parameters_refused_in_chinese_nothing_saved(tree, approved, reviewer, params, key):
    with pytest.raises(SpotCheckRefused) as refused:
        spot_checks.spot_check_draw(user=reviewer, fiscal_year=approved.year, parameters=params)
    assert list(refused.value.problems) == [key]
    assert not SpotCheck.objects.exists()


def test_only_finance_draws(tree, approved, clerk):
    with pytest.raises(UserError, match="只有财政审核人或系统管理员"):
        spot_checks.spot_check_draw(user=clerk, fiscal_year=approved.year, parameters=PARAMS)
    assert not SpotCheck.objects.exists()


def drawn_item(approved, reviewer) -> SpotCheckItem:
    spot_checks.spot_check_draw(user=reviewer, fiscal_year=approved.year, parameters=PARAMS)
    return SpotCheckItem.objects.select_related("evaluation__year").get(evaluation=approved)


def lines(evaluation) -> dict[str, int]:
    return {r.indicator.name: r.id for r in evaluation.results.select_related("indicator")}


def test_recheck_scores_with_the_scoring_and_leaves_the_approved_form_alone(approved, reviewer):
    item = drawn_item(approved, reviewer)
    snapshot = approved.snapshot
    ids = lines(approved)
    scores = {
        ids["话务平台接听量"]: D("25"),
        ids["设施维修时间"]: D("20"),
        ids["保障大厅正常运行"]: D("24"),
        ids["群众满意率"]: D("10"),
    }
    spot_checks.spot_check_item_save(
        item=item,
        user=reviewer,
        execution_score=D("7.49"),
        line_scores=scores,
        conclusion="接听量佐证不足",
    )
    item.refresh_from_db()
    assert (item.total_score, item.grade) == (D("86.49"), "良")
    assert item.difference == D("-11.00")
    assert item.rechecked_by == reviewer and item.done
    approved.refresh_from_db()
    assert (approved.total_score, approved.review_total_score) == (D("97.49"), None)
    assert approved.snapshot == snapshot
    record = AuditLog.objects.get(action="抽查复核·复核")
    assert record.changes["total_score"] == [None, "86.49"]


@pytest.mark.parametrize(
    "execution, line, conclusion, key",
    [
        (D("10.01"), D("20"), "结论", "execution"),
        (None, D("20"), "结论", "execution"),
        (D("7"), D("20.5"), "结论", "line"),  # over the line's 分值 20
        (D("7"), None, "结论", "line"),
        (D("7"), D("20"), "  ", "conclusion"),
    ],
)
def test_recheck_out_of_range_refused_nothing_saved(
    approved, reviewer, execution, line, conclusion, key
):
    item = drawn_item(approved, reviewer)
    ids = lines(approved)
    scores = {pk: D("1") for pk in ids.values()}
    scores[ids["设施维修时间"]] = line
    with pytest.raises(SpotCheckRefused) as refused:
        spot_checks.spot_check_item_save(
            item=item,
            user=reviewer,
            execution_score=execution,
            line_scores=scores,
            conclusion=conclusion,
        )
    expected = f"line-{ids['设施维修时间']}" if key == "line" else key
    assert list(refused.value.problems) == [expected]
    item.refresh_from_db()
    assert item.total_score is None and not item.done
    assert not AuditLog.objects.filter(action="抽查复核·复核").exists()


def test_recheck_refused_once_the_form_is_reopened(approved, reviewer):
    item = drawn_item(approved, reviewer)
    SelfEvaluation.objects.filter(pk=approved.pk).update(state=FormState.RETURNED)
    item = SpotCheckItem.objects.select_related("evaluation__year").get(pk=item.pk)
    with pytest.raises(SpotCheckRefused, match="重新打开"):
        spot_checks.spot_check_item_save(
            item=item, user=reviewer, execution_score=D("1"), line_scores={}, conclusion="x"
        )


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


def test_draw_page_previews_then_draws(client, tree, approved, reviewer):
    plain_approved(tree["hotline"], approved.year, 9)
    client.force_login(reviewer)
    url = reverse("spot_checks") + f"?year={approved.year.year}"
    page = client.get(url + "&preview=1&percent=20&minimum=1&low=80&seed=42")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="preview-count">2<' in text and 'value="42"' in text
    assert not SpotCheck.objects.exists()
    response = client.post(url, {"percent": "20", "minimum": "1", "low": "80", "seed": "42"})
    sample = SpotCheck.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "spot_check", args=[sample.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "核验一致" in page and "优但执行率低" in page and 'id="seed">42<' in page


def test_draw_page_bad_input_keeps_what_was_typed(client, approved, reviewer):
    client.force_login(reviewer)
    url = reverse("spot_checks") + f"?year={approved.year.year}"
    response = client.post(url, {"percent": "二十", "minimum": "x", "low": "80", "seed": "7"})
    assert response.status_code == 200  # the page again, as the forms do
    text = response.content.decode()
    assert "抽查比例必须是数字" in text and "每个单位至少抽查份数须为" in text
    assert 'value="二十"' in text and 'value="7"' in text
    assert not SpotCheck.objects.exists()


def test_recheck_page_refuses_in_chinese_and_keeps_the_input(
    client, approved, reviewer, django_assert_max_num_queries
):
    item = drawn_item(approved, reviewer)
    ids = lines(approved)
    client.force_login(reviewer)
    url = reverse("spot_check_item", args=[item.pk])
    with django_assert_max_num_queries(10):  # the item, its lines (one query), the layout's
        page = client.get(url)
    assert page.status_code == 200 and "话务平台接听量" in page.content.decode()
    data = {f"line-{pk}": "5" for pk in ids.values()}
    data[f"line-{ids['群众满意率']}"] = "11"  # 分值 10
    data.update(execution="7", conclusion="我的复核结论")
    response = client.post(url, data)
    assert response.status_code == 200  # the page again, as the forms do
    text = response.content.decode()
    assert "“群众满意率”复核得分" in text
    assert "我的复核结论" in text and 'value="11"' in text
    item.refresh_from_db()
    assert not item.done
    data[f"line-{ids['群众满意率']}"] = "10"
    response = client.post(url, data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.total_score, item.conclusion) == (D("32.00"), "我的复核结论")


def test_pages_are_finance_only_and_404_outside_reach(client, tree, approved, reviewer, clerk):
    item = drawn_item(approved, reviewer)
    outsider = member(tree["other"], Membership.Role.REVIEWER)
    for user in (clerk, outsider):
        client.force_login(user)
        assert client.get(reverse("spot_check", args=[item.spot_check_id])).status_code == 404
        assert client.get(reverse("spot_check_item", args=[item.pk])).status_code == 404
        response = client.post(reverse("spot_check_item", args=[item.pk]), {"execution": "0"})
        assert response.status_code == 404
    client.force_login(clerk)
    assert client.get(reverse("spot_checks")).status_code == 404
    client.force_login(outsider)
    assert client.get(reverse("spot_checks")).status_code == 200


def test_sample_page_queries_do_not_grow(
    client, tree, fiscal_year, reviewer, django_assert_max_num_queries
):
    plain_approved(tree["centre"], fiscal_year, 3)
    client.force_login(reviewer)
    params = SampleParameters(percent=D("100"), minimum=0, low_execution=D("0.8"), seed=3)
    small = spot_checks.spot_check_draw(user=reviewer, fiscal_year=fiscal_year, parameters=params)
    plain_approved(tree["hotline"], fiscal_year, 30)
    big = spot_checks.spot_check_draw(user=reviewer, fiscal_year=fiscal_year, parameters=params)
    counts = []
    for sample in (small, big):
        with django_assert_max_num_queries(12) as queries:
            assert client.get(reverse("spot_check", args=[sample.pk])).status_code == 200
        counts.append(len(queries))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("spot_checks") + "?year=2025").status_code == 200
    assert counts[0] == counts[1]


def test_finance_todo_lists_forms_not_yet_rechecked(approved, reviewer):
    item = drawn_item(approved, reviewer)
    sections = {s.key: s for s in todo_for(reviewer, approved.year).sections}
    assert [e.url for e in sections["recheck"].entries] == [
        reverse("spot_check_item", args=[item.pk])
    ]
    SpotCheckItem.objects.filter(pk=item.pk).update(rechecked_at="2026-01-01T00:00:00Z")
    assert "recheck" not in {s.key for s in todo_for(reviewer, approved.year).sections}


def test_parameters_are_drawn_as_recorded(tree, fiscal_year, reviewer):
    """A percentage or threshold typed with more places than the record keeps is drawn as
    recorded, so drawing again from the record gives the same forms."""
    plain_approved(tree["centre"], fiscal_year, 30)
    params = SampleParameters(percent=D("33.3349"), minimum=0, low_execution=D("0.80049"), seed=5)
    sample = spot_checks.spot_check_draw(user=reviewer, fiscal_year=fiscal_year, parameters=params)
    sample.refresh_from_db()
    assert (sample.percent, sample.low_execution) == (D("33.33"), D("0.800"))
    assert set(spot_checks.spot_check_redraw(sample)) == set(
        sample.items.values_list("evaluation_id", flat=True)
    )
    assert sample.items.count() == 10  # ⌈33.33% × 30⌉


@pytest.mark.parametrize("low", ["NaN", "1e400", "120", "80%", "²", "=1+1", "\x01"])
def test_draw_page_refuses_any_threshold_in_chinese(client, approved, reviewer, low):
    client.force_login(reviewer)
    url = reverse("spot_checks") + f"?year={approved.year.year}"
    data = {"percent": "20", "minimum": "1", "low": low, "seed": "1"}
    for response in (client.post(url, data), client.get(url, {**data, "preview": "1"})):
        assert response.status_code == 200
        assert 'class="err"' in response.content.decode()
    assert not SpotCheck.objects.exists()
