"""Issue 15, item 5: 批量审核 in 审核工作台. Each form goes through the single action's service
(checked, version-locked, audited on its own); the summary says form by form what passed and
what was refused and why; a large selection runs as a Celery job with progress."""

import time

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditLog
from evaluations import services
from evaluations.models import BulkReviewJob, FormState, SelfEvaluation, TargetSheet
from tests.factories import GOOD, ProjectFactory, TargetSheetFactory, member, save

pytestmark = pytest.mark.django_db
S = FormState


def sheets(tree, year, n, department="centre", state=S.SUBMITTED, prefix="项目"):
    made = []
    for i in range(n):
        project = ProjectFactory(department=tree[department], year=year, name=f"{prefix}{i}")
        made.append(TargetSheetFactory(project=project, state=state, submitted_at=timezone.now()))
    return made


def pick(form) -> str:
    kind = "targets" if isinstance(form, TargetSheet) else "evaluation"
    return f"{kind}:{form.pk}:{form.version}"


def bulk(client, data, follow=True):
    return client.post(reverse("review_bulk"), {"year": 2025, **data}, follow=follow)


@pytest.fixture
def submitted(evaluation, clerk):
    save(evaluation, clerk, GOOD, execution_reason="合同款次年支付")
    evaluation.refresh_from_db()
    services.evaluation_transition(evaluation=evaluation, user=clerk, action="submit")
    evaluation.refresh_from_db()
    return evaluation


def test_mixed_selection_passes_some_and_refuses_others_with_reasons(
    client, tree, open_year, reviewer, submitted
):
    good = sheets(tree, open_year, 2)
    draft = sheets(tree, open_year, 1, state=S.DRAFT, prefix="草稿项目")[0]
    foreign = sheets(tree, open_year, 1, department="other", prefix="外单位项目")[0]
    stale = sheets(tree, open_year, 1, prefix="已改项目")[0]
    seen = pick(stale)  # the version shown; then the unit withdraws, edits and resubmits
    TargetSheet.objects.filter(pk=stale.pk).update(version=stale.version + 2)
    client.force_login(reviewer)
    response = bulk(
        client,
        {
            "action": "approve",
            "reason": "同意",
            "pick": [pick(f) for f in (*good, submitted, draft, foreign)] + [seen],
        },
    )
    job = BulkReviewJob.objects.get()
    assert response.redirect_chain[-1][0] == reverse("review_bulk_job", args=[job.pk])
    assert job.state == "done" and job.done == job.total == 6
    outcome = {(r["kind"], r["id"]): r for r in job.results}
    for form in (*good, submitted):
        kind = "targets" if isinstance(form, TargetSheet) else "evaluation"
        assert outcome[(kind, form.pk)]["ok"], outcome[(kind, form.pk)]
        form.refresh_from_db()
        assert form.state == S.APPROVED and form.review_comment == "同意"
    assert "草稿" in outcome[("targets", draft.pk)]["message"]
    assert outcome[("targets", foreign.pk)]["message"] == services.bulk.NOT_FOUND
    assert outcome[("targets", foreign.pk)]["title"] == f"#{foreign.pk}"  # nothing of it told
    assert outcome[("targets", stale.pk)]["message"].startswith("已被修改")
    for form in (draft, foreign, stale):
        form.refresh_from_db()
        assert form.state != S.APPROVED
    # each form audited on its own, as a single 审核通过 is
    assert AuditLog.objects.filter(action="绩效目标·审核通过").count() == 2
    assert AuditLog.objects.filter(action="绩效自评·审核通过", object_id=str(submitted.pk)).count()
    assert SelfEvaluation.objects.get(pk=submitted.pk).snapshot_hash  # frozen as on its own page
    page = response.content.decode()
    assert "未处理的表单（3）" in page and "审核通过的表单（3）" in page
    assert 'id="bulk-passed">3<' in page and "外单位项目" not in page


def test_return_needs_its_one_reason_and_nothing_is_done_without(client, tree, open_year, reviewer):
    forms = sheets(tree, open_year, 2)
    client.force_login(reviewer)
    response = bulk(client, {"action": "return", "reason": " ", "pick": [pick(f) for f in forms]})
    assert not BulkReviewJob.objects.exists()
    assert "须填写退回原因" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    bulk(client, {"action": "return", "reason": "指标值不明确", "pick": [pick(f) for f in forms]})
    for form in forms:
        form.refresh_from_db()
        assert form.state == S.RETURNED and form.review_comment == "指标值不明确"
    assert AuditLog.objects.filter(action="绩效目标·退回", reason="指标值不明确").count() == 2


def test_every_filtered_one_is_the_filter_read_again_and_a_later_submission_is_refused(
    client, tree, open_year, reviewer
):
    mine = sheets(tree, open_year, 3)
    other_unit = sheets(tree, open_year, 2, department="hotline", prefix="热线项目")
    client.force_login(reviewer)
    page = client.get(reverse("review_queue"), {"year": 2025, "department": tree["centre"].pk})
    assert page.context["bulk_total"] == 3
    as_of = page.context["as_of"]
    late = sheets(tree, open_year, 1, prefix="后提交项目")[0]  # submitted after the list was shown
    bulk(
        client,
        {
            "scope": "all",
            "as_of": as_of,
            "kind": "",
            "state": "submitted",
            "department": tree["centre"].pk,
            "grade": "",
            "action": "approve",
            "pick": [pick(other_unit[0])],  # ignored: the selection is the filter
        },
    )
    job = BulkReviewJob.objects.get()
    assert job.total == 4 and len(job.passed) == 3
    assert [r["id"] for r in job.refused] == [late.pk]
    assert job.refused[0]["message"].startswith("已被修改")
    assert {f.pk for f in mine} == {r["id"] for r in job.passed}
    assert TargetSheet.objects.filter(state=S.APPROVED).count() == 3


def test_odd_requests_are_refused_cleanly(client, tree, open_year, reviewer):
    forms = sheets(tree, open_year, 1)
    client.force_login(reviewer)
    assert bulk(client, {"action": "approve", "pick": ["targets:x:1"]}).status_code == 400
    assert (
        bulk(client, {"action": "approve", "year": 1999, "pick": [pick(forms[0])]}).status_code
        == 400
    )
    assert bulk(client, {"action": "approve", "scope": "all", "as_of": "昨天"}).status_code == 400
    response = bulk(client, {"action": "approve"})
    assert "请先勾选" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert bulk(client, {"action": "delete", "pick": [pick(forms[0])]}).status_code == 200
    assert not BulkReviewJob.objects.exists()
    clerk = member(tree["centre"])
    client.force_login(clerk)
    assert bulk(client, {"action": "approve", "pick": [pick(forms[0])]}).status_code == 404
    # a job's summary is its reviewer's only
    client.force_login(reviewer)
    bulk(client, {"action": "approve", "pick": [pick(forms[0])]})
    job = BulkReviewJob.objects.get()
    client.force_login(member(tree["bureau"], "reviewer"))
    assert client.get(reverse("review_bulk_job", args=[job.pk])).status_code == 404


def test_queries_per_form_are_a_fixed_number(tree, open_year, reviewer):
    """The cost of one more form is the same whatever the selection's size."""
    counts = []
    for n in (3, 6, 9):
        forms = sheets(tree, open_year, n, prefix=f"批{n}项目")
        items = [("targets", f.pk, f.version) for f in forms]
        with CaptureQueriesContext(connection) as queries:
            job = services.bulk_review_start(
                user=reviewer, fiscal_year=open_year, action="approve", reason="", items=items
            )
        assert len(job.passed) == n
        counts.append(len(queries))
    per_three = counts[1] - counts[0]
    assert counts[2] - counts[1] == per_three, counts
    assert per_three <= 3 * 12, counts  # ~10 a form: lock, audit, line comments, savepoint


def test_queue_offers_checkboxes_for_forms_not_for_adjustments(client, tree, open_year, reviewer):
    forms = sheets(tree, open_year, 2)
    client.force_login(reviewer)
    page = client.get(reverse("review_queue"), {"year": 2025}).content.decode()
    assert page.count('name="pick"') == 2 and pick(forms[0]) in page
    assert 'id="bulk-total">2<' in page
    empty = client.get(reverse("review_queue"), {"year": 2025, "kind": "adjustment"})
    assert 'name="pick"' not in empty.content.decode() and empty.context["bulk_total"] == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_large_selection_runs_in_a_worker_with_progress(
    client, tree, fiscal_year, workers, settings
):
    """Above BULK_REVIEW_SYNC_LIMIT the request only records the job; a real worker on the
    `default` queue (the route in CELERY_TASK_ROUTES) does it, chunk by chunk."""
    settings.BULK_REVIEW_SYNC_LIMIT = 3
    workers(queues=("default",))
    forms = sheets(tree, fiscal_year, 5)
    draft = sheets(tree, fiscal_year, 1, state=S.DRAFT, prefix="草稿")[0]
    reviewer = member(tree["bureau"], "reviewer")
    client.force_login(reviewer)
    response = bulk(client, {"action": "approve", "pick": [pick(f) for f in (*forms, draft)]})
    job = BulkReviewJob.objects.get()
    assert job.total == 6
    first = response.content.decode()
    assert "已处理" in first or 'data-state="done"' in first
    deadline = time.monotonic() + 90
    while job.state not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.3)
        job.refresh_from_db()
    assert job.state == "done", job.error
    assert job.attempts == 1 and len(job.passed) == 5 and len(job.refused) == 1
    assert TargetSheet.objects.filter(state=S.APPROVED).count() == 5
    page = client.get(reverse("review_bulk_job", args=[job.pk])).content.decode()
    assert 'data-state="done"' in page and "草稿" in page
