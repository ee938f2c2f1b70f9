"""整改通知: who may issue one for what, the unit's answer with evidence, finance's 关闭 and
退回重新整改, the 待办 and 绩效看板 counts, the pages' refusals and query budgets."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from budgets.models import Membership, Notification
from core.errors import UserError
from core.models import AuditLog
from evaluations import rectifications as reads
from evaluations import todo, workflow
from evaluations.models import (
    FormState,
    Light,
    MonitoringLine,
    MonitoringRound,
    MonitoringSheet,
    NoticeEvidence,
    NoticeState,
    RectificationNotice,
    SelfEvaluation,
    SpotCheck,
    SpotCheckItem,
)
from evaluations.services import rectifications as services
from tests.factories import ProjectFactory, SelfEvaluationFactory, member

pytestmark = pytest.mark.django_db
Role = Membership.Role
PDF = b"%PDF-1.4\n%%EOF\n"


def pdf(name="整改报告.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def later(days=30):
    return timezone.localdate() + datetime.timedelta(days=days)


def graded(evaluation, grade="差", review_grade="", state=FormState.APPROVED):
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(
        state=state, grade=grade, review_grade=review_grade
    )
    evaluation.refresh_from_db()
    return evaluation


def issue(user, evaluation, **kwargs):
    return services.notice_issue(
        user=user,
        fiscal_year=evaluation.year,
        requirement=kwargs.pop("requirement", "请分析原因并整改"),
        due_date=kwargs.pop("due_date", later()),
        evaluation_id=evaluation.pk,
        **kwargs,
    )


def red_line(sheet, evaluation, light=Light.RED, state=FormState.SUBMITTED, line=0):
    monitoring_round = MonitoringRound.objects.get_or_create(
        year=sheet.year,
        as_of=datetime.date(sheet.year.year, 7, 31),
        defaults={"name": "7月监控", "deadline": datetime.date(sheet.year.year, 8, 15)},
    )[0]
    monitoring = MonitoringSheet.objects.get_or_create(
        year=sheet.year,
        department=sheet.department,
        project=sheet.project,
        round=monitoring_round,
        defaults={"state": state},
    )[0]
    return MonitoringLine.objects.create(
        sheet=monitoring,
        indicator=sheet.indicators.order_by("id")[line],
        light=light,
        likelihood="impossible",
    )


# --- which grade, which candidates


def test_notice_grade_is_the_review_grade_else_the_self_grade(evaluation):
    assert reads.notice_grade(graded(evaluation, "差")) == "差"
    assert reads.notice_grade(graded(evaluation, "差", review_grade="良")) == "良"
    assert reads.notice_grade(graded(evaluation, "良", review_grade="中")) == "中"
    assert reads.notice_grade(graded(evaluation, "")) == ""


def test_a_finished_recheck_decides_the_grade(tree, evaluation, reviewer):
    """抽查复核: the 复核等级 comes first (as in the 结果应用表), once the re-check is saved."""
    graded(evaluation, "良", review_grade="良")
    sample = SpotCheck.objects.create(
        year=evaluation.year, seed=1, percent=20, minimum=1, low_execution="0.8"
    )
    item = sample.items.create(evaluation=evaluation, reasons=["random"], grade="差")
    assert reads.notice_grade(SelfEvaluation.objects.get(pk=evaluation.pk)) == "良"  # not saved
    assert reads.candidates(reviewer, evaluation.year) == []
    SpotCheckItem.objects.filter(pk=item.pk).update(rechecked_at=timezone.now())
    assert reads.notice_grade(SelfEvaluation.objects.get(pk=evaluation.pk)) == "差"
    found = {c.title: c.basis for c in reads.candidates(reviewer, evaluation.year)}
    assert found == {evaluation.title: "差"}
    assert issue(reviewer, evaluation).basis == "差"


def test_candidates_are_approved_mid_or_poor_without_a_notice(tree, sheet, evaluation, reviewer):
    fiscal_year = evaluation.year
    graded(evaluation, "差")
    others = {}
    for name, grade, review, state in (
        ("良的", "良", "", FormState.APPROVED),
        ("审核改为良的", "差", "良", FormState.APPROVED),
        ("审核改为中的", "优", "中", FormState.APPROVED),
        ("未审核的差", "差", "", FormState.SUBMITTED),
    ):
        project = ProjectFactory(department=tree["centre"], year=fiscal_year, name=name)
        others[name] = SelfEvaluationFactory(
            project=project, state=state, grade=grade, review_grade=review
        )
    elsewhere = ProjectFactory(department=tree["other"], year=fiscal_year, name="他处的差")
    SelfEvaluationFactory(project=elsewhere, state=FormState.APPROVED, grade="差")
    found = {c.title: c.basis for c in reads.candidates(reviewer, fiscal_year)}
    assert found == {evaluation.title: "差", "审核改为中的": "中"}
    issue(reviewer, evaluation)
    found = {c.title for c in reads.candidates(reviewer, fiscal_year)}
    assert found == {"审核改为中的"}
    # a unit's clerk is no finance: no candidates
    assert reads.candidates(member(tree["centre"]), fiscal_year) == []


# --- issuing


def test_issue_audits_and_tells_the_unit(
    sheet, evaluation, clerk, reviewer, django_capture_on_commit_callbacks
):
    graded(evaluation, "差")
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue(reviewer, evaluation)
    assert notice.state == NoticeState.ISSUED and notice.basis == "差"
    assert notice.department_id == evaluation.department_id and notice.title == evaluation.title
    log = AuditLog.objects.get(action="整改通知·下达")
    assert log.object_id == str(notice.pk) and log.changes["requirement"][1] == "请分析原因并整改"
    message = Notification.objects.get(user=clerk, kind="rectification")
    assert evaluation.title in message.title and message.url == f"/rectifications/{notice.pk}/"
    with pytest.raises(UserError, match="已有整改通知"):
        issue(reviewer, evaluation)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"requirement": "  "}, "请填写整改要求"),
        ({"requirement": "长" * 2001}, "整改要求过长"),
        ({"due_date": None}, "有效的整改期限"),
        ({"due_date": datetime.date(2020, 1, 1)}, "不能早于今天"),
    ],
)
def test_issue_refuses_bad_input(evaluation, reviewer, change, message):
    graded(evaluation, "差")
    with pytest.raises(UserError, match=message):
        issue(reviewer, evaluation, **change)
    assert (
        not RectificationNotice.objects.exists()
        and not AuditLog.objects.filter(action__startswith="整改通知").exists()
    )


def test_issue_refuses_a_wrong_subject_or_user(tree, evaluation, clerk, reviewer):
    graded(evaluation, "良")
    with pytest.raises(UserError, match="中”或“差"):
        issue(reviewer, evaluation)
    graded(evaluation, "差", state=FormState.SUBMITTED)
    with pytest.raises(UserError, match="已审核"):
        issue(reviewer, evaluation)
    graded(evaluation, "差")
    for user in (clerk, member(tree["other"], Role.REVIEWER)):
        with pytest.raises(UserError, match="无权"):
            issue(user, evaluation)
    assert not RectificationNotice.objects.exists()


def test_red_monitoring_lines(sheet, evaluation, reviewer):
    line = red_line(sheet, evaluation)
    assert [c.key for c in reads.candidates(reviewer, evaluation.year)] == [f"line:{line.pk}"]
    notice = services.notice_issue(
        user=reviewer,
        fiscal_year=evaluation.year,
        requirement="请采取措施",
        due_date=later(),
        line_id=line.pk,
    )
    assert notice.basis == "红灯" and notice.monitoring_line_id == line.pk
    assert notice.kind_label == "运行监控" and line.indicator.name in notice.title
    assert reads.candidates(reviewer, evaluation.year) == []
    green = red_line(sheet, evaluation, light=Light.YELLOW, line=1)
    with pytest.raises(UserError, match="红灯"):
        services.notice_issue(
            user=reviewer,
            fiscal_year=evaluation.year,
            requirement="x",
            due_date=later(),
            line_id=green.pk,
        )


def test_issue_to_all_mid_and_poor(
    tree, evaluation, clerk, reviewer, django_capture_on_commit_callbacks
):
    graded(evaluation, "差")
    fiscal_year = evaluation.year
    for n in range(3):
        project = ProjectFactory(department=tree["centre"], year=fiscal_year, name=f"中{n}")
        SelfEvaluationFactory(project=project, state=FormState.APPROVED, grade="中")
    good = ProjectFactory(department=tree["centre"], year=fiscal_year, name="良的")
    SelfEvaluationFactory(project=good, state=FormState.APPROVED, grade="良")
    with django_capture_on_commit_callbacks(execute=True):
        issued = services.notices_issue_all(
            user=reviewer, fiscal_year=fiscal_year, requirement="统一整改", due_date=later()
        )
    assert len(issued) == 4 and {n.requirement for n in issued} == {"统一整改"}
    assert AuditLog.objects.filter(action="整改通知·下达").count() == 4
    # one message per unit user, listing the four
    message = Notification.objects.get(user=clerk)
    assert "4 个项目" in message.title and "中2" in message.body
    with pytest.raises(UserError, match="没有待下达"):
        services.notices_issue_all(
            user=reviewer, fiscal_year=fiscal_year, requirement="再来", due_date=later()
        )
    with pytest.raises(UserError, match="财政审核人"):
        services.notices_issue_all(
            user=clerk, fiscal_year=fiscal_year, requirement="再来", due_date=later()
        )


# --- answering, closing, sending back


@pytest.fixture
def notice(evaluation, reviewer):
    return issue(reviewer, graded(evaluation, "差"))


def test_answer_needs_text_and_a_file_of_an_accepted_kind(notice, clerk):
    for answer, uploads, message in (
        ("", [pdf()], "请填写整改情况"),
        ("已整改", [], "至少一个"),
        ("已整改", [pdf("病毒.exe", b"MZ")], "只能上传"),
        ("已整改", [pdf("假的.pdf", b"PK\x03\x04")], "内容与扩展名"),
    ):
        with pytest.raises(UserError, match=message):
            services.notice_answer(
                notice=notice, user=clerk, answer=answer, uploads=uploads, version=notice.version
            )
    notice.refresh_from_db()
    assert notice.state == NoticeState.ISSUED and not notice.files.exists()


def test_the_whole_round_trip(
    notice, clerk, reviewer, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_answer(
            notice=notice, user=clerk, answer="已压减支出", uploads=[pdf()], version=1
        )
    notice.refresh_from_db()
    assert notice.state == NoticeState.ANSWERED and notice.answers == 1
    assert notice.files.get().original_name == "整改报告.pdf"
    assert Notification.objects.filter(user=reviewer, title__startswith="整改情况待确认").exists()
    # the unit cannot answer again, nor remove files, until finance decides
    with pytest.raises(workflow.WorkflowError, match="不能执行"):
        services.notice_answer(notice=notice, user=clerk, answer="再答", version=notice.version)
    with pytest.raises(UserError, match="不能删除"):
        services.notice_file_remove(item=notice.files.get(), user=clerk)
    with pytest.raises(workflow.WorkflowError, match="须填写退回原因"):
        services.notice_decide(
            notice=notice, user=reviewer, action="send_back", text=" ", version=notice.version
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_decide(
            notice=notice,
            user=reviewer,
            action="send_back",
            text="佐证不足",
            version=notice.version,
        )
    notice.refresh_from_db()
    assert notice.state == NoticeState.RETURNED and notice.return_reason == "佐证不足"
    assert Notification.objects.filter(user=clerk, body__contains="佐证不足").exists()
    # a stale page (the version before the send-back) is refused
    with pytest.raises(services.NoticeConflict):
        services.notice_answer(notice=notice, user=clerk, answer="旧页面", version=2)
    # the first file is kept: a second answer needs no new one
    services.notice_answer(notice=notice, user=clerk, answer="补充说明", version=notice.version)
    notice.refresh_from_db()
    assert notice.answers == 2 and notice.answer == "补充说明"
    with pytest.raises(workflow.WorkflowError, match="关闭意见"):
        services.notice_decide(
            notice=notice, user=reviewer, action="close", text="", version=notice.version
        )
    services.notice_decide(
        notice=notice, user=reviewer, action="close", text="整改到位", version=notice.version
    )
    notice.refresh_from_db()
    assert notice.state == NoticeState.CLOSED and notice.closed_by == reviewer
    assert list(
        AuditLog.objects.filter(object_id=str(notice.pk), action__startswith="整改通知")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "整改通知·下达",
        "整改通知·提交整改情况",
        "整改通知·退回重新整改",
        "整改通知·提交整改情况",
        "整改通知·关闭",
    ]
    # closed is final
    for action in ("close", "send_back"):
        with pytest.raises(workflow.WorkflowError):
            services.notice_decide(
                notice=notice, user=reviewer, action=action, text="x", version=notice.version
            )


def test_files_are_limited_and_removable_while_open(notice, clerk, settings):
    settings.EVIDENCE_MAX_BYTES = 100
    with pytest.raises(UserError, match="文件过大"):
        services.notice_answer(
            notice=notice, user=clerk, answer="x", uploads=[pdf(data=PDF * 20)], version=1
        )
    settings.EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
    with pytest.raises(UserError, match="最多"):
        services.notice_answer(
            notice=notice, user=clerk, answer="x", uploads=[pdf() for _ in range(11)], version=1
        )
    services.notice_answer(notice=notice, user=clerk, answer="x", uploads=[pdf()], version=1)
    notice.refresh_from_db()
    services.notice_decide(
        notice=notice,
        user=member(notice.department.parent, Role.REVIEWER),
        action="send_back",
        text="重做",
        version=notice.version,
    )
    item = NoticeEvidence.objects.get()
    services.notice_file_remove(item=item, user=clerk)
    assert not NoticeEvidence.objects.exists()
    assert AuditLog.objects.filter(action="整改通知·删除佐证材料").exists()


# --- 待办 and 绩效看板


def test_todo_and_counts(notice, clerk, reviewer):
    fiscal_year = notice.year
    RectificationNotice.objects.filter(pk=notice.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=3)
    )
    unit = {s.key: s for s in todo.todo_for(clerk, fiscal_year).sections}
    [entry] = unit["notices"].entries
    assert entry.late and "已逾期 3 天" in entry.note and entry.tag == "整改通知"
    assert entry.url == reverse("rectification", args=[notice.pk])
    assert reads.counts(reviewer, fiscal_year) == {
        "open": 1,
        "answered": 0,
        "overdue": 1,
        "closed": 0,
    }
    finance = {s.key: s for s in todo.todo_for(reviewer, fiscal_year).sections}
    assert "notices_answered" not in finance  # shown only when there is something
    notice.refresh_from_db()
    services.notice_answer(
        notice=notice, user=clerk, answer="已整改", uploads=[pdf()], version=notice.version
    )
    unit = {s.key: s for s in todo.todo_for(clerk, fiscal_year).sections}
    assert "notices" not in unit
    finance = {s.key: s for s in todo.todo_for(reviewer, fiscal_year).sections}
    assert [e.text for e in finance["notices_answered"].entries] == [notice.title]
    assert reads.counts(reviewer, fiscal_year)["answered"] == 1


def test_counts_only_reviewed_departments(tree, notice):
    other = member(tree["other"], Role.REVIEWER)
    assert reads.counts(other, notice.year) == {"open": 0, "answered": 0, "overdue": 0, "closed": 0}


def test_dashboard_tile(notice, reviewer):
    RectificationNotice.objects.filter(pk=notice.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    body = client_of(reviewer).get(reverse("dashboard"), {"year": notice.year.year})
    body = body.content.decode()
    assert '<b id="notices-open">1</b>' in body and '<em id="notices-overdue">1</em>' in body


# --- the pages


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_issue_page_refuses_bad_input_in_chinese_and_keeps_it(evaluation, reviewer):
    graded(evaluation, "差")
    page = client_of(reviewer)
    url = reverse("rectifications") + f"?year={evaluation.year.year}"
    response = page.post(
        url,
        {
            "requirement": "请整改",
            "due_date": "2026-02-30",
            "subject": f"evaluation:{evaluation.pk}",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "有效的整改期限" in body and "请整改" in body and 'value="2026-02-30"' in body
    assert not RectificationNotice.objects.exists()
    response = page.post(
        url,
        {"requirement": "请整改", "due_date": later().isoformat(), "subject": "evaluation:x"},
    )
    assert response.status_code == 400 and not RectificationNotice.objects.exists()
    response = page.post(
        url,
        {
            "requirement": "请整改",
            "due_date": later().isoformat(),
            "subject": f"evaluation:{evaluation.pk}",
        },
    )
    assert response.status_code == 302
    assert RectificationNotice.objects.get().evaluation_id == evaluation.pk


def test_pages_for_both_sides(notice, clerk, reviewer, tree):
    url = reverse("rectification", args=[notice.pk])
    clerk_page = client_of(clerk)
    body = clerk_page.get(url).content.decode()
    assert "请分析原因并整改" in body and 'id="answer-form"' in body and "notice-close" not in body
    response = clerk_page.post(
        url, {"action": "answer", "answer": "整改完成的说明", "version": notice.version}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "至少一个" in body and "整改完成的说明" in body
    response = clerk_page.post(
        url,
        {"action": "answer", "answer": "整改完成", "version": notice.version, "files": [pdf()]},
    )
    assert response.status_code == 302
    body = client_of(reviewer).get(url).content.decode()
    assert 'id="notice-close"' in body and "整改报告.pdf" in body and "answer-form" not in body
    item = NoticeEvidence.objects.get()
    download = clerk_page.get(reverse("rectification_file", args=[item.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    # the reviewer of another department and a clerk of a sibling unit see nothing
    for outsider in (member(tree["other"], Role.REVIEWER), member(tree["hotline"])):
        page = client_of(outsider)
        assert page.get(url).status_code == 404
        assert page.get(reverse("rectification_file", args=[item.pk])).status_code == 404
        assert notice.title not in page.get(reverse("rectifications")).content.decode()


def test_list_page_query_budget(tree, evaluation, reviewer, clerk, django_assert_max_num_queries):
    """The list costs the same with 1 or 12 notices and candidates."""
    fiscal_year = graded(evaluation, "差").year
    url = reverse("rectifications") + f"?year={fiscal_year.year}"

    def add(n):
        for _ in range(n):
            project = ProjectFactory(department=tree["centre"], year=fiscal_year)
            SelfEvaluationFactory(project=project, state=FormState.APPROVED, grade="中")
        services.notices_issue_all(
            user=reviewer, fiscal_year=fiscal_year, requirement="整改", due_date=later()
        )
        for _ in range(n):
            project = ProjectFactory(department=tree["centre"], year=fiscal_year)
            SelfEvaluationFactory(project=project, state=FormState.APPROVED, grade="差")

    budgets = {}
    for n in (1, 12):
        add(n)
        for who, user in (("reviewer", reviewer), ("clerk", clerk)):
            page = client_of(user)
            with django_assert_max_num_queries(14) as captured:
                assert page.get(url).status_code == 200
            budgets.setdefault(who, []).append(len(captured))
    assert budgets["reviewer"][0] == budgets["reviewer"][1], budgets
    assert budgets["clerk"][0] == budgets["clerk"][1], budgets


def test_notice_page_query_budget(notice, clerk, django_assert_max_num_queries):
    url = reverse("rectification", args=[notice.pk])
    page = client_of(clerk)
    counts = []
    for n in (1, 8):
        notice.refresh_from_db()
        if n > 1:
            RectificationNotice.objects.filter(pk=notice.pk).update(state=NoticeState.ISSUED)
            notice.refresh_from_db()
        services.notice_answer(
            notice=notice,
            user=clerk,
            answer="x",
            uploads=[pdf(f"{i}.pdf") for i in range(n)],
            version=notice.version,
        )
        with django_assert_max_num_queries(14) as captured:
            assert page.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
