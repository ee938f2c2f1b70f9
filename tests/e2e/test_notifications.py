"""消息 in the browser: a reviewer returns a sheet → the clerk sees the unread count in the header,
opens 消息 and follows the link to the sheet; the reviewer sends 催办 from 目标申报进度 to a late
department → its clerk has the message (and the mail)."""

import datetime
import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from budgets.models import FiscalYear
from evaluations import services
from evaluations.models import FormState, TargetSheet

PROJECT = "12345市长热线"  # 随州 2023, target sheet in draft


def unread(page: Page):
    return page.locator(".userbox .unread-count")


def test_return_and_urge_reach_the_clerk(page: Page, browser, live_server, login, screenshot):
    clerk = get_user_model().objects.get(username="sz_clerk")
    clerk.email = "sz_clerk@example.cn"
    clerk.save()
    sheet = TargetSheet.objects.get(project__name=PROJECT, year__year=2023)
    services.target_sheet_transition(sheet=sheet, user=clerk, action="submit")
    assert TargetSheet.objects.get(pk=sheet.pk).state == FormState.SUBMITTED
    url = reverse("target_sheet", args=[sheet.pk])

    # the clerk has nothing unread yet
    login(page, "sz_clerk")
    expect(page.locator(".userbox a[data-unread]")).to_have_text("消息")
    expect(unread(page)).to_have_count(0)

    # the reviewer returns the sheet, in a second browser
    other = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    review = other.new_page()
    login(review, "reviewer")
    review.goto(url)
    review.get_by_label("审核意见 / 原因").fill("满意率目标请与上年对比后重填")
    review.get_by_role("button", name="退回", exact=True).click()
    expect(review.locator(".form-head .state")).to_have_text("已退回")

    # the clerk's header counts it; 消息 lists it; its link opens the sheet and reads it
    page.goto("/")
    expect(unread(page)).to_have_text("1")
    screenshot(page, "p15h-01-clerk-header-unread")
    page.locator(".userbox a[data-unread]").click()
    expect(page).to_have_url(re.compile(r"/messages/$"))
    note = page.locator(".notes li.unread")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("绩效目标被退回：12345市长热线")
    expect(note).to_contain_text("满意率目标请与上年对比后重填")
    screenshot(page, "p15h-02-messages-centre")
    note.get_by_role("button", name=re.compile("12345市长热线")).click()
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))
    expect(page.locator(".form-head .state")).to_have_text("已退回")
    expect(unread(page)).to_have_count(0)
    returned_mail = [m for m in mail.outbox if m.to == ["sz_clerk@example.cn"]]
    assert len(returned_mail) == 1 and "满意率目标请与上年对比后重填" in returned_mail[0].body

    # 2023's target deadline has passed: 目标申报进度 flags 随州, and 催办 reaches its clerk
    year = FiscalYear.objects.get(year=2023)
    year.target_deadline = timezone.localdate() - datetime.timedelta(days=5)
    year.save()
    review.goto(reverse("target_progress") + "?year=2023")
    row = review.locator('#progress-table tr[data-department="102"]')
    expect(row).to_have_class(re.compile("overdue-row"))
    expect(review.locator("#target-deadline")).to_contain_text("已截止 5 天")
    screenshot(review, "p15h-03-target-progress")
    row.get_by_role("button", name="催办").click()
    expect(review.locator(".messages")).to_contain_text(
        "已向 1 个单位发出催办：随州市政务服务和大数据管理局"
    )
    # a second 催办 the same day is not sent again
    review.locator('#progress-table tr[data-department="102"]').get_by_role(
        "button", name="催办"
    ).click()
    expect(review.locator(".messages")).to_contain_text("今天已催办过")
    screenshot(review, "p15h-04-urge-once-a-day")
    other.close()

    page.reload()
    expect(unread(page)).to_have_text("1")
    page.locator(".userbox a[data-unread]").click()
    urge = page.locator('.notes li.unread[data-note="urge"]')
    expect(urge).to_have_count(1)
    expect(urge).to_contain_text("催办：随州市政务服务和大数据管理局")
    expect(urge).to_contain_text(PROJECT)
    screenshot(page, "p15h-05-clerk-urged")
    page.get_by_role("button", name="全部标为已读").click()
    expect(unread(page)).to_have_count(0)
    assert len([m for m in mail.outbox if m.to == ["sz_clerk@example.cn"]]) == 2
