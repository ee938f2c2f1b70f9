import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from budgets.models import Membership
from evaluations.models import FormState, SelfEvaluation
from tests.factories import ProjectFactory, SelfEvaluationFactory, TargetSheetFactory, member

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def forms(tree, fiscal_year):
    fiscal_year.evaluation_deadline = timezone.localdate() - datetime.timedelta(days=1)
    fiscal_year.save()
    made = {}
    for key, dept, sheet_state, eval_state, score, grade in [
        ("a", "centre", FormState.APPROVED, FormState.SUBMITTED, "91.5", "优"),
        ("b", "hotline", FormState.APPROVED, FormState.DRAFT, None, ""),
        ("c", "bureau", FormState.SUBMITTED, None, None, ""),
        ("d", "other", FormState.SUBMITTED, FormState.SUBMITTED, "70", "中"),
    ]:
        project = ProjectFactory(department=tree[dept], year=fiscal_year, name=f"项目{key}")
        TargetSheetFactory(project=project, state=sheet_state, submitted_at=timezone.now())
        if eval_state:
            made[key] = SelfEvaluationFactory(
                project=project,
                state=eval_state,
                total_score=score and Decimal(score),
                grade=grade,
                submitted_at=timezone.now(),
            )
    return made


def get(client, **params):
    response = client.get(reverse("review_queue"), {"year": 2025, **params})
    assert response.status_code == 200
    return response.context


def titles(context):
    return sorted(f"{r.kind_label}:{r.form.title}" for r in context["rows"])


def test_reviewer_sees_only_assigned_departments(client, tree, forms):
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    context = get(client, state="")
    assert "项目d" not in " ".join(titles(context))
    assert context["counts"]["submitted"] == 2  # sheet c, evaluation a
    assert context["overdue"] == context["overdue_all"] == 1  # evaluation b: draft, too late


def test_queue_opens_on_what_waits_and_an_explicit_state_wins(client, tree, forms):
    """Without a 状态 in the address: the submitted forms only, the other states still counted;
    an explicit state (or 全部状态: an empty one) wins."""
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    context = get(client)
    assert context["filters"]["state"] == "submitted"
    assert titles(context) == ["绩效目标:项目c", "绩效自评:项目a"]
    assert context["counts"]["approved"] == 2 and context["counts"]["draft"] == 1
    assert context["overdue"] == 0 and context["overdue_all"] == 1  # b is a draft
    assert len(titles(get(client, state=""))) == 5
    assert titles(get(client, state="draft")) == ["绩效自评:项目b"]
    page = client.get(reverse("review_queue"), {"year": 2025}).content.decode()
    assert 'id="all-states"' in page and "year=2025&amp;overdue=1" in page


@pytest.mark.parametrize(
    "params,expected",
    [
        # any filter in the address: a state left out is every state (绩效看板's links)
        ({"kind": "evaluation"}, ["绩效自评:项目a", "绩效自评:项目b"]),
        ({"kind": "evaluation", "state": "submitted"}, ["绩效自评:项目a"]),
        ({"state": "submitted"}, ["绩效目标:项目c", "绩效自评:项目a"]),
        ({"grade": "优"}, ["绩效自评:项目a"]),
        ({"overdue": "1"}, ["绩效自评:项目b"]),
        ({"overdue": "1", "state": "submitted"}, []),  # nothing waiting for finance is late
        ({"kind": "targets", "state": "approved"}, ["绩效目标:项目a", "绩效目标:项目b"]),
    ],
)
def test_filters(client, tree, forms, params, expected):
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    assert titles(get(client, **params)) == expected


def test_department_filter_and_sort(client, tree, forms):
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    context = get(client, department=str(tree["centre"].pk), sort="score", state="")
    assert titles(context) == ["绩效目标:项目a", "绩效自评:项目a"]
    assert get(client, sort="nonsense", state="bogus")["rows"]


def test_clerk_gets_404(client, tree, forms):
    client.force_login(member(tree["bureau"], Role.CLERK))
    assert client.get(reverse("review_queue")).status_code == 404


def test_query_count_fixed(client, tree, forms, fiscal_year, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(member(tree["bureau"], Role.REVIEWER))
    with CaptureQueriesContext(connection) as small:
        get(client)
    for _ in range(20):
        project = ProjectFactory(department=tree["centre"], year=fiscal_year)
        TargetSheetFactory(project=project)
        SelfEvaluationFactory(project=project)
    with django_assert_max_num_queries(len(small)):
        get(client)


def test_queue_is_paginated_keeping_the_filters(client, tree, fiscal_year, monkeypatch):
    from evaluations.views import review as views

    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 3)
    for n in range(7):
        project = ProjectFactory(department=tree["centre"], year=fiscal_year, code=f"Q{n}")
        TargetSheetFactory(project=project, state=FormState.SUBMITTED, submitted_at=timezone.now())
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    first = client.get(reverse("review_queue"), {"year": 2025, "kind": "targets"})
    assert len(first.context["rows"]) == 3 and first.context["page"].paginator.count == 7
    page = first.content.decode()
    assert "共 7 条，第 1 / 3 页" in page and "kind=targets&amp;page=2" in page
    last = client.get(reverse("review_queue"), {"year": 2025, "kind": "targets", "page": "9"})
    assert len(last.context["rows"]) == 1  # out of range → the last page
    assert client.get(reverse("review_queue"), {"page": "abc"}).status_code == 200


def test_overdue_filter_in_the_database_follows_the_deadline_rule(tree, fiscal_year):
    """workflow.overdue_q (the queue pages in SQL) answers as workflow.is_overdue, every case."""
    from evaluations import workflow

    today = timezone.localdate()
    days = [None, *(today + datetime.timedelta(days=n) for n in (-2, -1, 0, 1))]
    forms = []
    for n, (extension, state) in enumerate(
        (e, s) for e in days for s in (FormState.DRAFT, FormState.RETURNED, FormState.SUBMITTED)
    ):
        project = ProjectFactory(department=tree["centre"], year=fiscal_year, code=f"O{n}")
        forms.append(
            SelfEvaluationFactory(project=project, state=state, deadline_extension=extension)
        )
    for deadline in days:
        fiscal_year.evaluation_deadline = deadline
        late = workflow.overdue_q(fiscal_year, today)
        in_sql = (
            set(SelfEvaluation.objects.filter(late).values_list("pk", flat=True)) if late else set()
        )
        for form in forms:
            form.year = fiscal_year
        assert in_sql == {f.pk for f in forms if workflow.is_overdue(f, today)}, deadline


def test_pages_are_sorted_across_both_kinds(client, tree, fiscal_year, monkeypatch):
    """Sorted and paged in the database: the kinds interleave by submission time, never-submitted
    forms last; ties go target sheet first, then by id."""
    from evaluations.views import review as views

    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    start = timezone.now()
    expected = []
    for n, (sheet_minutes, evaluation_minutes) in enumerate([(3, 1), (None, 2), (0, None)]):
        project = ProjectFactory(department=tree["centre"], year=fiscal_year, name=f"项目{n}")
        for factory, minutes, label in (
            (TargetSheetFactory, sheet_minutes, "绩效目标"),
            (SelfEvaluationFactory, evaluation_minutes, "绩效自评"),
        ):
            at = None if minutes is None else start + datetime.timedelta(minutes=minutes)
            factory(project=project, submitted_at=at, state=FormState.SUBMITTED)
            expected.append((at is None, at or start, label == "绩效自评", f"{label}:项目{n}"))
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    shown = []
    for number in (1, 2, 3):
        context = get(client, page=str(number))
        shown += [f"{r.kind_label}:{r.form.title}" for r in context["rows"]]
    assert shown == [label for *_, label in sorted(expected)]
    SelfEvaluation.objects.filter(project__name="项目2").update(total_score=Decimal("80"))
    first = get(client, sort="score")["rows"][0]  # scored first; sheets have no score
    assert (first.kind, first.form.title, first.form.total_score) == ("evaluation", "项目2", 80)


def test_adjustments_are_their_own_kind(client, tree, forms, fiscal_year):
    """目标调整 requests: counted apart, waiting ones among what waits (as 已提交), a filter of
    their own, each row leading to the request on its target sheet; another reviewer's
    departments' requests are not shown."""
    from evaluations.models import TargetAdjustment, TargetSheet
    from tests.factories import IndicatorFactory

    made = {}
    for key, state in [
        ("a", TargetAdjustment.State.REJECTED),
        ("b", TargetAdjustment.State.PENDING),
        ("d", TargetAdjustment.State.PENDING),
    ]:
        sheet = TargetSheet.objects.get(project__name=f"项目{key}")
        made[key] = TargetAdjustment.objects.create(
            indicator=IndicatorFactory(sheet=sheet, name=f"指标{key}"),
            old_value="1",
            new_value="2",
            reason="调整",
            state=state,
        )
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    context = get(client)
    assert context["adjustments"] == {"pending": 1, "approved": 0, "rejected": 1}
    assert context["counts"]["submitted"] == 2  # forms only
    assert titles(context) == ["目标调整:项目b", "绩效目标:项目c", "绩效自评:项目a"]
    only = get(client, kind="adjustment", state="submitted")
    (row,) = only["rows"]
    assert (row.adjustment.pk, row.adjustment.indicator.name) == (made["b"].pk, "指标b")
    assert row.adjustment.get_state_display() == "待审批"
    assert titles(get(client, kind="adjustment", state="returned")) == ["目标调整:项目a"]
    assert len(get(client, kind="adjustment")["rows"]) == 2
    assert titles(get(client, kind="adjustment", department=str(tree["centre"].pk))) == [
        "目标调整:项目a"
    ]
    page = client.get(
        reverse("review_queue"), {"year": 2025, "kind": "adjustment", "state": "submitted"}
    )
    sheet_url = reverse("target_sheet", args=[made["b"].indicator.sheet_id])
    assert f'href="{sheet_url}#adjustment-{made["b"].pk}"' in page.content.decode()
    # and on the sheet: the request, with the reviewer's decision buttons, at that anchor
    sheet_page = client.get(sheet_url).content.decode()
    assert f'id="adjustment-{made["b"].pk}"' in sheet_page
    assert 'value="adjust_approve"' in sheet_page
