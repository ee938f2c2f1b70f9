"""整改通知 in the browser (issue 17): finance issues a notice for a 差 project; the clerk sees it
on the 待办 (overdue), answers with an evidence file; finance sends it back once; the clerk
answers again; finance closes it. 绩效看板 counts it all along."""

import datetime
import re
import shutil
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Page, expect

from evaluations.models import FormState, NoticeState, RectificationNotice, SelfEvaluation

PROJECT = "政务一体化平台建设"  # 咸宁市政务服务和大数据管理局, 2021 (demo: evaluation in draft)
SHOTS = Path("/work/shots/p17c")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def shot(page: Page, screenshot, name: str) -> None:
    path = screenshot(page, f"rectification-{name}")
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / path.name)


def logout(page: Page) -> None:
    page.locator("header .userbox").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def tile(page: Page, year: int) -> dict[str, str]:
    page.goto(f"/dashboard/?year={year}")
    return {
        key: page.locator(f"#notices-{key}").inner_text() for key in ("open", "answered", "overdue")
    }


def test_notice_issued_answered_sent_back_answered_closed(page: Page, login, screenshot, tmp_path):
    evaluation = SelfEvaluation.objects.get(year__year=2021, project__name=PROJECT)
    # the self-evaluation as finance approved it, graded 差 (the review itself is tested elsewhere)
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(
        state=FormState.APPROVED, grade="差", total_score="55.00"
    )
    evidence = tmp_path / "整改报告.pdf"
    evidence.write_bytes(PDF)

    # ---- finance: the candidate, issued with its 要求 and 期限 --------------------------------
    login(page, "reviewer")
    page.locator("header nav").get_by_role("link", name="整改通知").click()
    page.locator("#notice-filters select[name=year]").select_option("2021")
    page.locator("#notice-filters").get_by_role("button", name="筛选").click()
    row = page.locator(f'#candidates tr[data-candidate="evaluation:{evaluation.pk}"]')
    expect(row).to_contain_text(PROJECT)
    expect(row).to_contain_text("差")
    # a missing 期限 is refused in Chinese, the 要求 kept
    page.locator("#requirement").fill("请分析绩效目标未完成的原因，压减低效支出并报送整改情况")
    row.get_by_role("button", name="下达").click()
    expect(page.locator(".messages, .message, [role=alert]").first).to_contain_text("整改期限")
    expect(page.locator("#requirement")).to_have_value(
        "请分析绩效目标未完成的原因，压减低效支出并报送整改情况"
    )
    due = timezone.localdate() + datetime.timedelta(days=20)
    page.locator("#due_date").fill(due.isoformat())
    shot(page, screenshot, "1-finance-candidates")
    page.locator(f'#candidates tr[data-candidate="evaluation:{evaluation.pk}"]').get_by_role(
        "button", name="下达"
    ).click()
    notice = RectificationNotice.objects.get(evaluation=evaluation)
    expect(page.locator(f'#notices tr[data-notice="{notice.pk}"]')).to_contain_text("待整改")
    assert tile(page, 2021) == {"open": "1", "answered": "0", "overdue": "0"}
    logout(page)

    # ---- the clerk: on the 待办, overdue (as if the 期限 had passed) -----------------------
    RectificationNotice.objects.filter(pk=notice.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=2)
    )
    login(page, "xn_clerk")
    page.goto("/?year=2021")
    entry = page.locator('#todo [data-todo="notices"] li').filter(has_text=PROJECT)
    expect(entry).to_have_class(re.compile("late"))
    expect(entry).to_contain_text("已逾期 2 天")
    shot(page, screenshot, "2-clerk-todo")
    entry.get_by_role("link", name=PROJECT).click()
    expect(page.locator("#notice-due")).to_contain_text("已逾期 2 天")
    page.locator("#answer-input").fill("已压减低效支出 20 万元，完善了项目管理制度。")
    page.locator("#answer-files").set_input_files(str(evidence))
    shot(page, screenshot, "2b-clerk-answer")
    page.once("dialog", lambda d: d.accept())
    page.locator("#answer-submit").click()
    expect(page.locator("#notice-state")).to_have_text("已答复待确认")
    expect(page.locator("#notice-files")).to_contain_text("整改报告.pdf")
    expect(page.locator("#answer-form")).to_have_count(0)
    page.goto("/?year=2021")
    expect(page.locator('#todo [data-todo="notices"]')).to_have_count(0)
    logout(page)

    # ---- finance: on its 待办, sends it back once ----------------------------------------------
    login(page, "reviewer")
    assert tile(page, 2021) == {"open": "0", "answered": "1", "overdue": "0"}
    shot(page, screenshot, "3-dashboard")
    page.goto("/?year=2021")
    waiting = page.locator('#todo [data-todo="notices_answered"] li').filter(has_text=PROJECT)
    expect(waiting).to_have_count(1)
    waiting.get_by_role("link", name=PROJECT).click()
    with page.expect_download() as download:
        page.locator("#notice-files").get_by_role("link", name="整改报告.pdf").click()
    assert Path(download.value.path()).read_bytes() == PDF
    page.locator("#notice-send-back").click()  # without a reason: refused
    expect(page.locator("#notice-state")).to_have_text("已答复待确认")
    expect(page.locator("body")).to_contain_text("须填写退回原因")
    page.locator("#decide-text").fill("请补充制度文件")
    page.locator("#notice-send-back").click()
    expect(page.locator("#notice-state")).to_have_text("退回重新整改")
    logout(page)

    # ---- the clerk answers again (the first file is kept) --------------------------------------
    login(page, "xn_clerk")
    page.goto("/?year=2021")
    entry = page.locator('#todo [data-todo="notices"] li').filter(has_text=PROJECT)
    expect(entry).to_contain_text("退回原因：请补充制度文件")
    entry.get_by_role("link", name=PROJECT).click()
    expect(page.locator("#return-reason")).to_contain_text("请补充制度文件")
    page.locator("#answer-input").fill("已补充《项目资金管理办法》，见佐证材料。")
    page.once("dialog", lambda d: d.accept())
    page.locator("#answer-submit").click()
    expect(page.locator("#notice-state")).to_have_text("已答复待确认")
    logout(page)

    # ---- finance closes it ------------------------------------------------------------------
    login(page, "reviewer")
    page.goto(f"/rectifications/{notice.pk}/")
    expect(page.locator("#answer-text")).to_contain_text("项目资金管理办法")
    page.locator("#decide-text").fill("整改到位，予以关闭")
    page.locator("#notice-close").click()
    expect(page.locator("#notice-state")).to_have_text("已关闭")
    expect(page.locator("#close-comment")).to_contain_text("整改到位")
    expect(page.locator("#history")).to_contain_text("整改通知·退回重新整改")
    shot(page, screenshot, "4-closed")
    assert tile(page, 2021) == {"open": "0", "answered": "0", "overdue": "0"}
    notice.refresh_from_db()
    assert notice.state == NoticeState.CLOSED and notice.answers == 2
