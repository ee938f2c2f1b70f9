"""Nothing typed is lost when the session times out before a save: the browser keeps the typed
values and offers them back after the clerk logs in again."""

from playwright.sync_api import Page, expect

from evaluations.models import SelfEvaluation

TYPED = "本项目全年完成旗舰店建设，52项便民服务应用入驻。（超时前输入）"


def test_typed_values_survive_a_session_timeout(page: Page, login, screenshot):
    login(page, "xn_clerk")
    evaluation = SelfEvaluation.objects.get(project__name="政务一体化平台建设")
    page.goto(f"/evaluations/{evaluation.pk}/")
    text = page.get_by_label("实际完成情况")
    text.fill(TYPED)
    page.get_by_label("高频事项入驻旗舰店数实际完成值").fill("190")
    # the session ends (idle timeout) before the clerk saves
    page.context.clear_cookies(name="sessionid")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("h1")).to_have_text("用户登录")
    evaluation.refresh_from_db()
    assert TYPED not in evaluation.actual_text  # the save did not reach the server

    login(page, "xn_clerk")
    page.goto(f"/evaluations/{evaluation.pk}/")
    bar = page.locator(".restore-bar")
    expect(bar).to_contain_text("未保存的输入")
    screenshot(page, "draft-01-restore-offered")
    bar.get_by_role("button", name="恢复输入").click()
    expect(page.get_by_label("实际完成情况")).to_have_value(TYPED)
    expect(page.get_by_label("高频事项入驻旗舰店数实际完成值")).to_have_value("190")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("已保存草稿")
    evaluation.refresh_from_db()
    assert evaluation.actual_text == TYPED
    # once saved, the stored copy is dropped: no offer on the next visit
    page.goto(f"/evaluations/{evaluation.pk}/")
    expect(page.locator(".restore-bar")).to_have_count(0)
