"""批量审核 in 审核工作台 (issue 15, item 5) in Chromium, on the demo data: a reviewer filters,
selects every filtered form, approves them at once and reads the summary: what passed, and what
was refused and why (a form changed after the list was shown is not approved)."""

import datetime
import shutil
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import Page, expect

from budgets.access import access_for
from core.models import AuditLog
from evaluations.models import FormState, TargetSheet

SHOTS = Path("/work/shots/j")


def shot(page: Page, screenshot, name: str) -> None:
    path = screenshot(page, f"bulk-{name}")
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / path.name)


def submit_all_2021_sheets() -> int:
    """As if every unit had submitted its 2021 绩效目标 (the submission is tested elsewhere)."""
    return TargetSheet.objects.filter(year__year=2021).update(
        state=FormState.SUBMITTED, submitted_at=timezone.now(), approved_at=None
    )


def test_reviewer_approves_every_filtered_form_and_reads_the_summary(page: Page, login, screenshot):
    submit_all_2021_sheets()
    login(page, "reviewer")
    page.goto("/review/?year=2021")
    page.locator("select[name=kind]").select_option("targets")
    page.locator("form.filters button[type=submit]").click()
    total = int(page.locator("#bulk-total").inner_text())
    covered = access_for(get_user_model().objects.get(username="reviewer")).by_role["reviewer"]
    mine = TargetSheet.objects.filter(year__year=2021, department_id__in=covered)
    assert total == mine.count() > 2, total
    expect(page.locator("#bulk-bar")).to_be_visible()
    shot(page, screenshot, "queue")
    # meanwhile the unit withdraws one, edits and resubmits it: still in the filter, but not
    # what the reviewer saw, so not approved by this action
    changed = mine.order_by("id")[0]
    TargetSheet.objects.filter(pk=changed.pk).update(
        version=F("version") + 3, submitted_at=timezone.now() + datetime.timedelta(seconds=1)
    )
    page.locator("#bulk-all").check()
    page.locator("#bulk-reason").fill("目标明确，同意")
    page.once("dialog", lambda d: d.accept())
    page.locator("#bulk-approve").click()
    expect(page.locator("#bulk-summary")).to_have_attribute("data-state", "done")
    expect(page.locator("#bulk-passed")).to_have_text(str(total - 1))
    expect(page.locator("#bulk-refused")).to_have_text("1")
    refused = page.locator("#bulk-refused-list tbody tr")
    expect(refused).to_have_count(1)
    expect(refused.first).to_contain_text(changed.title)
    expect(refused.first).to_contain_text("已被修改")
    expect(page.locator("#bulk-passed-list tbody tr")).to_have_count(total - 1)
    shot(page, screenshot, "summary")
    assert TargetSheet.objects.filter(year__year=2021, state=FormState.APPROVED).count() == (
        total - 1
    )
    assert AuditLog.objects.filter(action="绩效目标·审核通过").count() == total - 1
    # the queue now holds only the resubmitted one, to be reviewed on its own
    page.get_by_role("link", name="返回审核工作台").click()
    # (of the 绩效目标: the demo also has a submitted 绩效监控表, another kind)
    page.goto("/review/?year=2021&kind=targets")
    expect(page.locator("#form-counts li", has_text="已提交")).to_have_text("已提交 1")


def test_ticked_rows_are_returned_with_one_reason_and_a_missing_reason_loses_nothing(
    page: Page, login, screenshot
):
    submit_all_2021_sheets()
    login(page, "reviewer")
    page.goto("/review/?year=2021&kind=targets&state=submitted")
    boxes = page.locator("input[name=pick]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    titles = [page.locator("tbody tr").nth(i).locator("td").nth(3).inner_text() for i in range(2)]
    page.once("dialog", lambda d: d.accept())
    page.locator("#bulk-return").click()
    expect(page.locator(".messages, .alert, [role=alert]").first).to_contain_text("须填写退回原因")
    assert not TargetSheet.objects.filter(state=FormState.RETURNED).exists()
    # 全选本页 ticks every row of the page
    page.locator("input[data-check-all]").check()
    expect(page.locator("input[name=pick]:checked")).to_have_count(boxes.count())
    page.locator("input[data-check-all]").uncheck()
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.locator("#bulk-reason").fill("指标值须量化")
    page.once("dialog", lambda d: d.accept())
    page.locator("#bulk-return").click()
    expect(page.locator("#bulk-passed")).to_have_text("2")
    for title in titles:
        expect(page.locator("#bulk-passed-list")).to_contain_text(title)
    returned = TargetSheet.objects.filter(state=FormState.RETURNED)
    assert returned.count() == 2 and {s.review_comment for s in returned} == {"指标值须量化"}
