"""Nothing typed is lost when the session times out before a save: the browser keeps the typed
values and offers them back after the clerk logs in again."""

from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from evaluations.models import SelfEvaluation

TYPED = "本项目全年完成旗舰店建设，52项便民服务应用入驻。（超时前输入）"


def _session_expires() -> None:
    """The idle timeout, on the server: the session is gone whatever cookie the browser still
    sends (deleting the browser's cookie raced the live preview, whose answer set it again)."""
    Session.objects.all().delete()


def test_typed_values_survive_a_session_timeout(page: Page, login, screenshot):
    login(page, "xn_clerk")
    evaluation = SelfEvaluation.objects.get(project__name="政务一体化平台建设")
    page.goto(f"/evaluations/{evaluation.pk}/")
    text = page.get_by_label("实际完成情况")
    text.fill(TYPED)
    page.get_by_label("高频事项入驻旗舰店数实际完成值").fill("190")
    # the session ends (idle timeout) before the clerk saves
    _session_expires()
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


def _draft_keys(page: Page) -> list[str]:
    return page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('jxzp-draft:')).sort()"
    )


def _type_unsaved(page: Page, evaluation) -> None:
    page.goto(f"/evaluations/{evaluation.pk}/")
    page.get_by_label("实际完成情况").fill(TYPED)
    # the live preview answers in the background, and every answer renews the session cookie:
    # wait for it, so that it cannot bring the cookie back after the test ends the session
    with page.expect_response(lambda response: "/preview/" in response.url):
        page.get_by_label("高频事项入驻旗舰店数实际完成值").fill("190")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('jxzp-draft:'))")


def test_typed_values_are_the_users_own_and_cleared_at_logout(page: Page, login):
    """Issue 12: the copy was keyed by form only, so the next user of the browser was offered
    the previous user's input. Now it is keyed by user, cleared when the user logs out, and
    cleared for everyone else when someone else signs in after a session expired."""
    evaluation = SelfEvaluation.objects.get(project__name="政务一体化平台建设")
    login(page, "xn_clerk")
    _type_unsaved(page, evaluation)
    assert _draft_keys(page) == [f"jxzp-draft:xn_clerk:evaluation-{evaluation.pk}"]
    # a copy in the old format (no owner) is nobody's: dropped on the next page
    page.evaluate("() => localStorage.setItem('jxzp-draft:evaluation-1', '{}')")
    page.goto("/")
    assert _draft_keys(page) == [f"jxzp-draft:xn_clerk:evaluation-{evaluation.pk}"]

    # 1. The clerk logs out: nothing stays in the browser.
    page.get_by_role("button", name="退出").click()
    expect(page.locator("h1")).to_have_text("用户登录")
    assert _draft_keys(page) == []

    # 2. The clerk types again and the session expires (no logout); an administrator signs in
    #    on the same browser and opens the same form: no offer, and the clerk's copy is gone.
    login(page, "xn_clerk")
    _type_unsaved(page, evaluation)
    _session_expires()
    page.goto("/")
    expect(page.locator("h1")).to_have_text("用户登录")
    assert _draft_keys(page) == [f"jxzp-draft:xn_clerk:evaluation-{evaluation.pk}"]
    login(page, "admin")
    assert _draft_keys(page) == []
    page.goto(f"/evaluations/{evaluation.pk}/")
    expect(page.get_by_label("实际完成情况")).not_to_have_value(TYPED)
    expect(page.locator(".restore-bar")).to_have_count(0)
