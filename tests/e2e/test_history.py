"""Issue 14 item 9: the 操作记录 shows only real changes. A save that changed nothing adds no row;
a score that followed its suggestion reads as stored (“得分 13.95 → 14.25”, not “→ 空”);
numbers read as numbers, money in 万元."""

from decimal import Decimal

from playwright.sync_api import Page, expect

from core import formatting
from core.models import AuditLog
from evaluations.models import SelfEvaluation


def _history_rows(page: Page):
    return page.locator("#history tbody tr")


def test_history_shows_only_real_changes(page: Page, login, screenshot):
    login(page, "xn_clerk")
    evaluation = SelfEvaluation.objects.get(project__name="政务一体化平台建设")
    page.goto(f"/evaluations/{evaluation.pk}/")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("已保存草稿")
    before = _history_rows(page).count()
    records = AuditLog.objects.filter(object_id=str(evaluation.pk)).count()

    # a second save with nothing changed: no record, no row
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("已保存草稿")
    expect(_history_rows(page)).to_have_count(before)
    assert AuditLog.objects.filter(object_id=str(evaluation.pk)).count() == records

    # a line whose score follows its suggestion: a lower actual value lowers the score
    line = next(
        r
        for r in evaluation.results.select_related("indicator").order_by("indicator__order")
        if r.indicator.comparator in ("≥", ">")
        and r.score is not None
        and r.score == r.suggested_score
        and r.score > 0
    )
    old = line.score
    target = Decimal(line.indicator.target_value)
    with page.expect_response(lambda response: "/preview/" in response.url):
        page.get_by_label(f"{line.indicator.name}实际完成值").fill(
            str((target / 2).quantize(Decimal("0.01")))
        )
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("已保存草稿")
    line.refresh_from_db()
    assert line.score is not None and line.score != old
    places = evaluation.year.score_places
    newest = _history_rows(page).first
    expect(newest).to_contain_text(
        f"得分 {formatting.score(old, places)} → {formatting.score(line.score, places)}"
    )
    expect(newest).not_to_contain_text("→ 空")
    expect(page.locator("#history")).not_to_contain_text(".0000")
    page.locator("#history").scroll_into_view_if_needed()
    screenshot(page, "history-01-real-changes")
