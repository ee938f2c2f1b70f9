"""Races: two people acting on one form at the same moment.

Each concurrent test holds one action's transaction open in the test's thread (its row locks
held, nothing committed yet) while a second thread, on a database connection of its own, makes
the competing action; once the second is waiting on a lock, or finished, the first commits. The
outcome must be one of the two orders, never a mix: evidence is never added to or removed from
a submitted self-evaluation, and a 目标调整 is never requested or decided once the
self-evaluation has been submitted (the frozen table and the live form would disagree).

They need row locks and two connections, i.e. PostgreSQL: on SQLite they skip with the reason,
and with REQUIRE_POSTGRES=1 (CI) they fail instead of skipping.

The sequential tests (a decision after the evaluation was approved; 审核通过 / 退回 without the
version the reviewer saw) run on every database.
"""

import os
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from core.models import AuditLog
from evaluations import services, workflow
from evaluations.models import Evidence, FormState, SelfEvaluation, TargetAdjustment, TargetSheet
from tests.report import covered
from tests.security.conftest import put

S = FormState
PDF = b"%PDF-1.4\n% evidence\n"
WAIT = 30  # seconds: how long a thread may take to reach its lock; only a broken test waits


concurrent = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_connections():
    if connection.vendor != "postgresql":
        reason = (
            "竞争条件测试需要 PostgreSQL（行锁与两个数据库连接），SQLite 上跳过；"
            "设置 DATABASE_URL=postgres://… 后运行"
        )
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(
                "REQUIRE_POSTGRES=1 但数据库不是 PostgreSQL（竞争条件测试需要行锁与两个连接）",
                pytrace=False,
            )
        pytest.skip(reason)


class Other(threading.Thread):
    """Runs `work` in a thread of its own, hence on a database connection of its own (Django's
    connections are per thread); keeps its result or the exception it raised."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work = work
        self.pid: int | None = None
        self.ready = threading.Event()
        self.result = self.error = None

    def run(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.ready.set()
            self.result = self.work()
        except BaseException as error:  # handed to the test's thread
            self.error = error
        finally:
            self.ready.set()
            connection.close()


def race(first, second) -> Other:
    """`first()` inside a transaction that stays open until `second()`, in another thread, is
    waiting on a row lock or has finished; then the first commits and the second completes.
    Returns the second's thread (its result or error)."""
    with transaction.atomic():
        first()
        other = Other(second)
        other.start()
        assert other.ready.wait(WAIT)
        deadline = time.monotonic() + WAIT
        while other.is_alive():
            with connection.cursor() as cursor:
                # pg_locks is read live (pg_stat_activity would be a snapshot in this transaction)
                cursor.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted", [other.pid])
                if cursor.fetchone():
                    break
            assert time.monotonic() < deadline, "the second action neither waited nor finished"
            other.join(0.01)
    other.join(WAIT)
    assert not other.is_alive()
    return other


def reload(form):
    return type(form).objects.get(pk=form.pk)


def sheet_of(evaluation) -> TargetSheet:
    return TargetSheet.objects.get(project_id=evaluation.project_id)


def submit(world):
    return lambda: services.evaluation_transition(
        evaluation=reload(world.evaluation), user=world.users["clerk"], action="submit"
    )


def request_adjustment(world, value="5"):
    line = sheet_of(world.evaluation).indicators.get(name="设施维修时间")  # ≤ 2 小时
    return services.adjustment_request(
        indicator=line, user=world.users["clerk"], new_value=value, reason="设备老化"
    )


# --------------------------------------------------------------------------------------------
# Evidence against a submission
# --------------------------------------------------------------------------------------------


@concurrent
def test_evidence_upload_racing_a_submission(world, two_connections):
    evaluation = world.evaluation
    line = evaluation.results.select_related("evaluation", "indicator").first()

    def upload():
        upload = SimpleUploadedFile("验收报告.pdf", PDF)
        return services.evidence_add(result=line, user=world.users["clerk"], upload=upload)

    other = race(submit(world), upload)
    assert reload(evaluation).state == S.SUBMITTED
    assert isinstance(other.error, workflow.WorkflowError), other.error or other.result
    assert not Evidence.objects.exists()


@concurrent
def test_evidence_delete_racing_a_submission(world, two_connections):
    evaluation = world.evaluation
    line = evaluation.results.select_related("evaluation", "indicator").first()
    evidence = services.evidence_add(
        result=line, user=world.users["clerk"], upload=SimpleUploadedFile("验收报告.pdf", PDF)
    )
    evidence = Evidence.objects.select_related("result__evaluation", "result__indicator").get()

    def delete():
        return services.evidence_remove(evidence=evidence, user=world.users["clerk"])

    other = race(submit(world), delete)
    assert reload(evaluation).state == S.SUBMITTED
    assert isinstance(other.error, workflow.WorkflowError), other.error
    assert Evidence.objects.filter(pk=evidence.pk).exists()


@concurrent
def test_upload_first_then_the_submission_waits(world, two_connections):
    """The other order: the upload holds the row; the submission waits and comes after it."""
    evaluation = world.evaluation
    line = evaluation.results.select_related("evaluation", "indicator").first()

    def upload():
        services.evidence_add(
            result=line, user=world.users["clerk"], upload=SimpleUploadedFile("报告.pdf", PDF)
        )

    other = race(upload, submit(world))
    assert other.error is None, other.error
    assert reload(evaluation).state == S.SUBMITTED and Evidence.objects.count() == 1
    actions = list(AuditLog.objects.order_by("id").values_list("action", flat=True))
    assert actions.index("佐证材料·上传") < actions.index("绩效自评·提交")


# --------------------------------------------------------------------------------------------
# 目标调整 against a submission, and against another decision
# --------------------------------------------------------------------------------------------


@concurrent
def test_adjustment_decision_racing_a_submission(world, two_connections):
    adjustment = request_adjustment(world)

    def approve():
        return services.adjustment_decide(
            adjustment=adjustment, user=world.users["reviewer"], approve=True
        )

    other = race(submit(world), approve)
    assert reload(world.evaluation).state == S.SUBMITTED
    assert isinstance(other.error, workflow.WorkflowError), other.error
    assert "绩效自评已提交" in str(other.error)
    assert reload(adjustment).state == TargetAdjustment.State.PENDING
    assert (
        sheet_of(world.evaluation).indicators.get(name="设施维修时间").adjusted_target_value == ""
    )


@concurrent
def test_adjustment_request_racing_a_submission(world, two_connections):
    other = race(submit(world), lambda: request_adjustment(world))
    assert reload(world.evaluation).state == S.SUBMITTED
    assert isinstance(other.error, workflow.WorkflowError), other.error
    assert not TargetAdjustment.objects.exists()


@concurrent
def test_two_reviewers_deciding_one_adjustment(world, two_connections):
    adjustment = request_adjustment(world)
    audits = AuditLog.objects.count()
    reviewer = world.users["reviewer"]

    # each reviewer's page loaded the pending request
    first, second = reload(adjustment), reload(adjustment)

    def approve():
        services.adjustment_decide(adjustment=first, user=reviewer, approve=True)

    def reject():
        return services.adjustment_decide(
            adjustment=second, user=reviewer, approve=False, comment="依据不足"
        )

    other = race(approve, reject)
    assert isinstance(other.error, workflow.WorkflowError), other.error
    assert reload(adjustment).state == TargetAdjustment.State.APPROVED
    assert AuditLog.objects.count() == audits + 1
    covered(
        "竞争条件（PostgreSQL，两个连接）：佐证材料上传/删除与提交、目标调整申请/审批与提交、"
        "两人同时审批同一调整、开始自评与重新打开目标——结果总是两种先后顺序之一，已提交的自评不再变化"
    )


@concurrent
def test_evaluation_start_racing_a_reopening_of_the_targets(world, two_connections):
    sheet = put(world.sheet, S.APPROVED)  # approved targets, no self-evaluation yet

    def reopen():
        services.target_sheet_transition(
            sheet=reload(sheet), user=world.users["reviewer"], action="reopen", reason="指标有误"
        )

    def start():
        return services.evaluation_start(user=world.users["clerk"], project_id=sheet.project_id)

    other = race(reopen, start)
    assert reload(sheet).state == S.RETURNED
    assert isinstance(other.error, workflow.WorkflowError), other.error or other.result
    assert not SelfEvaluation.objects.filter(project_id=sheet.project_id).exists()


# --------------------------------------------------------------------------------------------
# Sequential: a decision after the evaluation was approved; the version the reviewer saw
# --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_adjustment_filed_in_draft_cannot_be_decided_after_approval(world):
    adjustment = request_adjustment(world)  # ≤ 2 小时 → 5
    reviewer = world.users["reviewer"]
    submit(world)()
    services.evaluation_transition(
        evaluation=reload(world.evaluation),
        user=reviewer,
        action="approve",
        version=reload(world.evaluation).version,
    )
    approved = reload(world.evaluation)
    client = Client()
    client.force_login(reviewer)
    sheet = sheet_of(world.evaluation)
    page = client.get(reverse("target_sheet", args=[sheet.pk])).content.decode()
    assert 'value="adjust_approve"' not in page and "不能再申请或审批目标调整" in page
    page = client.post(
        reverse("target_sheet", args=[sheet.pk]),
        {"action": "adjust_approve", "adjustment": adjustment.pk},
        follow=True,
    ).content.decode()
    assert "不能再申请或审批目标调整" in page
    assert reload(adjustment).state == TargetAdjustment.State.PENDING
    assert sheet.indicators.get(name="设施维修时间").adjusted_target_value == ""
    # the live form and the frozen table still say the same
    now = reload(world.evaluation)
    assert (now.snapshot_hash, now.version, now.total_score) == (
        approved.snapshot_hash,
        approved.version,
        approved.total_score,
    )
    # the clerk cannot file one either
    with pytest.raises(workflow.WorkflowError, match="不能再申请或审批目标调整"):
        request_adjustment(world, value="6")


def _changed_behind_the_reviewers_back(world):
    """The reviewer opened the submitted form at some version; meanwhile another reviewer
    returned it and the clerk changed a value and submitted it again."""
    evaluation = reload(world.evaluation)
    submit(world)()
    seen = reload(evaluation)
    services.evaluation_transition(
        evaluation=seen, user=world.users["admin"], action="return", reason="请补充"
    )
    changed = reload(evaluation)
    changed.actual_text = "改过的说明"
    changed.save(update_fields=["actual_text"])
    submit(world)()
    return seen


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["missing", "stale"])
@pytest.mark.parametrize("action", ["approve", "return"])
def test_evaluation_review_needs_the_version_the_reviewer_saw(world, action, version):
    seen = _changed_behind_the_reviewers_back(world)
    before = reload(seen)
    client = Client()
    client.force_login(world.users["reviewer"])
    data = {"action": action, "reason": "同意"}
    if version == "stale":
        data["version"] = seen.version
    response = client.post(reverse("evaluation", args=[seen.pk]), data)
    assert response.status_code == 200
    assert "该表单已被他人修改" in response.content.decode()
    after = reload(seen)
    assert (after.state, after.version) == (S.SUBMITTED, before.version)
    # control: with the version now shown, it goes through
    data["version"] = after.version
    assert client.post(reverse("evaluation", args=[seen.pk]), data).status_code == 302
    assert reload(seen).state == (S.APPROVED if action == "approve" else S.RETURNED)


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["approve", "return"])
def test_target_review_needs_the_version_the_reviewer_saw(world, action):
    sheet = world.sheet  # a complete draft sheet
    clerk, reviewer = world.users["clerk"], world.users["reviewer"]
    services.target_sheet_transition(sheet=reload(sheet), user=clerk, action="submit")
    sheet = reload(sheet)
    before = (sheet.state, sheet.version)
    client = Client()
    client.force_login(reviewer)
    url = reverse("target_sheet", args=[sheet.pk])
    # refused: UserErrorMiddleware shows the message on the sheet's page again
    response = client.post(url, {"action": action, "reason": "请修改"}, follow=True)
    assert "该表单已被他人修改" in response.content.decode()
    assert (reload(sheet).state, reload(sheet).version) == before
    response = client.post(url, {"action": action, "reason": "请修改", "version": sheet.version})
    assert response.status_code == 302
    assert reload(sheet).state == (S.APPROVED if action == "approve" else S.RETURNED)
    if action == "return":
        covered("审核通过/退回须带审核人看到的版本：缺少或过期的版本均被拒绝（两类表单），数据不变")
