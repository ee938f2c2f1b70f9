"""Issue 14 item 5: evidence uploads without leaving the page. Text typed in one line stays when
a file is uploaded on another; the file appears under its line; a refusal shows beside its line,
not at the top of the page."""

import re

from playwright.sync_api import Page, expect

from evaluations.models import Evidence, SelfEvaluation

PDF = b"%PDF-1.4\n% evidence\n"


def _open(page: Page, login) -> SelfEvaluation:
    login(page, "xn_clerk")
    evaluation = SelfEvaluation.objects.get(project__name="政务一体化平台建设")
    page.goto(f"/evaluations/{evaluation.pk}/")
    return evaluation


def test_upload_keeps_what_was_typed_and_lists_the_file(page: Page, login, screenshot):
    evaluation = _open(page, login)
    page.get_by_label("实际完成情况").fill("尚未保存的文字")
    page.get_by_label("高频事项入驻旗舰店数实际完成值").fill("190")
    lines = page.locator("#evidence tr[data-evidence-line]")
    line = lines.nth(1)
    url_before = page.url
    line.locator("input[type=file]").set_input_files(
        {"name": "验收报告.pdf", "mimeType": "application/pdf", "buffer": PDF * 20000}
    )
    line.get_by_role("button", name="上传").click()
    expect(line.locator(".file")).to_contain_text("验收报告.pdf")
    assert page.url == url_before  # no reload, no redirect
    expect(page.get_by_label("实际完成情况")).to_have_value("尚未保存的文字")
    expect(page.get_by_label("高频事项入驻旗舰店数实际完成值")).to_have_value("190")
    expect(line.locator(".evidence-none")).to_be_hidden()
    assert Evidence.objects.filter(result__evaluation=evaluation).count() == 1
    screenshot(page, "evidence-01-uploaded")

    # deleting it stays on the page too
    line.locator("form.evidence-delete button").click()
    expect(line.locator(".file")).to_have_count(0)
    expect(line.locator(".evidence-none")).to_be_visible()
    expect(page.get_by_label("实际完成情况")).to_have_value("尚未保存的文字")
    assert not Evidence.objects.filter(result__evaluation=evaluation).exists()


def test_progress_is_shown_while_uploading(page: Page, login):
    _open(page, login)
    line = page.locator("#evidence tr[data-evidence-line]").first
    line.locator("input[type=file]").set_input_files(
        {"name": "a.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    held = []
    page.route(re.compile(r".*/evidence/$"), lambda route: held.append(route))
    line.get_by_role("button", name="上传").click()
    expect(line.locator("progress.evidence-progress")).to_be_visible()
    expect(line.get_by_role("button", name="上传")).to_be_disabled()
    while not held:  # the request reached the route (held back until the bar was seen)
        page.wait_for_timeout(20)
    held[0].continue_()
    expect(line.locator(".file")).to_contain_text("a.pdf")
    expect(line.locator("progress.evidence-progress")).to_be_hidden()


def test_refusals_show_beside_their_line(page: Page, login, screenshot, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    _open(page, login)
    page.get_by_label("实际完成情况").fill("保留这段")
    lines = page.locator("#evidence tr[data-evidence-line]")
    big, wrong = lines.nth(0), lines.nth(2)
    big.locator("input[type=file]").set_input_files(
        {"name": "大.pdf", "mimeType": "application/pdf", "buffer": PDF * 200}
    )
    big.get_by_role("button", name="上传").click()
    expect(big.locator(".evidence-error")).to_contain_text("文件过大")
    wrong.locator("input[type=file]").set_input_files(
        {"name": "脚本.exe", "mimeType": "application/octet-stream", "buffer": b"MZ..."}
    )
    wrong.get_by_role("button", name="上传").click()
    expect(wrong.locator(".evidence-error")).to_contain_text("只能上传 PDF")
    expect(big.locator(".evidence-error")).to_contain_text("文件过大")  # each on its own line
    expect(page.locator(".messages")).to_have_count(0)  # nothing at the top of the page
    expect(page.get_by_label("实际完成情况")).to_have_value("保留这段")
    wrong.scroll_into_view_if_needed()
    screenshot(page, "evidence-02-refused-beside-line")


def test_without_script_the_form_post_still_works(browser, live_server, login):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        evaluation = _open(page, login)
        line = page.locator("#evidence tr[data-evidence-line]").first
        line.locator("input[type=file]").set_input_files(
            {"name": "无脚本.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        line.get_by_role("button", name="上传").click()
        expect(page.locator(".messages")).to_contain_text("已上传：无脚本.pdf")
        expect(line.locator(".file")).to_contain_text("无脚本.pdf")
        assert Evidence.objects.filter(result__evaluation=evaluation).count() == 1
    finally:
        context.close()
