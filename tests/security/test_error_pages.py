"""Error pages with DEBUG off: Chinese, in the site's layout, with a way home (issue 12: they were
Django's bare English pages). The 500 page renders without touching the database."""

from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.views import defaults

from tests.factories import UserFactory
from tests.report import covered

pytestmark = pytest.mark.django_db

LAYOUT = ("预算绩效自评系统", "回到首页", 'href="/"')
ENGLISH = ("Not Found", "Bad Request", "Server Error", "Forbidden", "requested resource")


def _check(response, status: int, heading: str) -> None:
    body = response.content.decode()
    assert response.status_code == status
    assert heading in body, body[:500]
    for part in LAYOUT:
        assert part in body, (status, part)
    assert 'lang="zh-CN"' in body
    for word in ENGLISH:
        assert word not in body, (status, word)


@pytest.fixture
def clerk(db):
    return UserFactory(username="zhangsan")


def test_404_400_403_500_are_chinese_with_a_way_home(clerk, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(clerk)
    _check(client.get("/no-such-page/"), 404, "未找到该页面")
    _check(client.get("/evaluations/999999/"), 404, "未找到该页面")
    # a clerk has no review page at all: 404 before its parameters are read
    _check(client.get("/review/?department=²"), 404, "未找到该页面")
    reviewer = UserFactory(username="lisi", is_superuser=True)
    admin_client = Client(raise_request_exception=False)
    admin_client.force_login(reviewer)
    _check(admin_client.get("/review/?department=²"), 400, "请求有误")
    # 403: a staff account without model permissions in the admin
    clerk.is_staff = True
    clerk.save()
    _check(client.get("/admin/budgets/department/"), 403, "您无权执行此操作")
    # 405: a POST-only address opened in the browser
    _check(client.get("/targets/start/"), 405, "该地址不能直接打开")
    # 500: any unexpected error
    with mock.patch("evaluations.selectors.years", side_effect=RuntimeError("boom")):
        _check(client.get("/"), 500, "系统出错")
    covered("错误页：DEBUG 关闭时 400/403/404/405/500 与 CSRF 页均为中文、带站点布局和回到首页链接")


def test_500_page_renders_without_the_database(django_db_blocker, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = get_user_model()(username="x")
    with django_assert_num_queries(0), django_db_blocker.block():
        response = defaults.server_error(request)
    assert response.status_code == 500
    assert "系统出错" in response.content.decode()


def test_csrf_failure_page_is_chinese(clerk, settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    _check(client.post("/exports/", {"year": "2021"}), 403, "页面已过期")


def test_debug_off_bad_request_from_django_is_chinese(clerk, settings):
    """Django's own 400s (a request with too many fields) get the same page."""
    settings.DEBUG = False
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client = Client(raise_request_exception=False)
    client.force_login(clerk)
    response = client.post("/exports/", {f"f{n}": "1" for n in range(20)})
    _check(response, 400, "请求有误")
