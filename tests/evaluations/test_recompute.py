"""A year's recompute (issue 18): the same figures as computing each form on its own, written in a
fixed number of queries whatever the number of forms; and core.bulk.rows_update, its writer."""

from decimal import Decimal

import pytest
from django.db.models import Prefetch

from bench.city import build_city
from core.bulk import rows_update
from evaluations.models import IndicatorResult, SelfEvaluation
from evaluations.services import common, year_recompute

pytestmark = pytest.mark.django_db
FIGURES = common.COMPUTED_EVALUATION_FIELDS


def one_by_one(fiscal_year) -> tuple[dict, dict]:
    """What each form computes on its own, with model instances (the form's own path)."""
    policy = common.policy_for(fiscal_year)
    evaluations, lines = {}, {}
    queryset = SelfEvaluation.objects.filter(year=fiscal_year).prefetch_related(
        Prefetch("results", queryset=IndicatorResult.objects.select_related("indicator"))
    )
    for evaluation in queryset.select_related("project", "year"):
        results = list(evaluation.results.all())
        common.evaluation_compute(evaluation, results, common.funds_of(evaluation), policy)
        evaluations[evaluation.pk] = tuple(getattr(evaluation, f) for f in FIGURES)
        lines.update({r.pk: r.suggested_score for r in results})
    return evaluations, lines


def stored(fiscal_year) -> tuple[dict, dict]:
    evaluations = {
        row[0]: tuple(row[1:])
        for row in SelfEvaluation.objects.filter(year=fiscal_year).values_list("pk", *FIGURES)
    }
    lines = dict(
        IndicatorResult.objects.filter(evaluation__year=fiscal_year).values_list(
            "pk", "suggested_score"
        )
    )
    return evaluations, lines


def test_the_years_recompute_stores_what_each_form_computes(django_assert_max_num_queries):
    city = build_city(0.05)  # 15 departments, 150 forms, 2,250 lines, none computed yet
    assert not IndicatorResult.objects.filter(suggested_score__isnull=False).exists()
    # a line whose indicator was adjusted, a form out of its band: the flags change too
    line = IndicatorResult.objects.filter(evaluation__year=city.year).select_related("indicator")
    adjusted = line.filter(indicator__comparator="≥").first().indicator
    adjusted.adjusted_target_value = "1"
    adjusted.save()
    expected = one_by_one(city.year)
    # 4 reads (lines, forms, their years, budgets), 2 + 1 batches (PostgreSQL: CREATE, UPDATE,
    # DROP twice), the transaction
    with django_assert_max_num_queries(12):
        assert year_recompute(fiscal_year=city.year) == 150
    evaluations, lines = stored(city.year)
    assert lines == expected[1] and None not in lines.values()
    assert evaluations == expected[0]
    assert any(figures[FIGURES.index("flags")] for figures in evaluations.values())
    # nothing changed: nothing written
    with django_assert_max_num_queries(6):
        year_recompute(fiscal_year=city.year)


def test_rows_update_writes_each_rows_own_values_in_batches(django_assert_num_queries):
    city = build_city(0.02)
    forms = list(SelfEvaluation.objects.filter(year=city.year).order_by("pk")[:5])
    for n, form in enumerate(forms):
        form.total_score = None if n == 0 else Decimal("80.5") + n
        form.grade = "" if n == 0 else "良"
        form.flags = [] if n % 2 else [{"code": "weights", "message": f"“第{n}项”'; --"}]
        form.execution_rate = None  # a whole batch of NULLs still has its column's type

    # SQLite: 3 statements of 2 VALUES rows; PostgreSQL: CREATE the rows' table, (COPY), UPDATE,
    # DROP
    with django_assert_num_queries(3):
        written = rows_update(
            SelfEvaluation,
            forms,
            ["total_score", "grade", "flags", "execution_rate"],
            batch_size=2,
        )
    assert written == 5
    for n, form in enumerate(forms):
        form.refresh_from_db()
        assert form.total_score == (None if n == 0 else Decimal("80.5") + n)
        assert form.grade == ("" if n == 0 else "良")
        assert form.flags == ([] if n % 2 else [{"code": "weights", "message": f"“第{n}项”'; --"}])
        assert form.execution_rate is None
    assert rows_update(SelfEvaluation, [], ["grade"]) == 0


def test_result_lines_leave_room_on_their_pages_for_updates():
    """PostgreSQL: migration 0019 (fillfactor 50), so a recompute's writes stay on their pages."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("fillfactor 只在 PostgreSQL 上设置")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = %s", ["evaluations_indicatorresult"]
        )
        assert "fillfactor=50" in cursor.fetchone()[0]
