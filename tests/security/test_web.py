"""Web security over every route: no GET changes data, every POST needs the CSRF token, sessions,
the login throttle, security headers, production settings.

The routes are the resolver's own list (the enumeration of test_access_walk.py, admin included);
object URLs take the kwargs and POST bodies of its classification, so a new page is walked here
as soon as it is classified there (and fails there until it is). The data is the access walk's
victim: the demo plus a submitted sheet, evidence, an adjustment and finished exports.
"""

import json
import os
import secrets
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from budgets.models import Department
from demo.loader import DEMO_PASSWORD
from tests.factories import PASSWORD, UserFactory
from tests.report import covered
from tests.security import dbstate, walk

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------------------------
# Every route, with the URL to request and the POST bodies that would change something
# --------------------------------------------------------------------------------------------


@dataclass
class Route:
    name: str
    url: str
    posts: list[dict] = field(default_factory=lambda: [{}])


def _admin_models() -> dict[str, type]:
    """'budgets_department' → Department, for every model registered in the admin."""
    return {f"{m._meta.app_label}_{m._meta.model_name}": m for m in admin.site._registry}


def _instance_pk(model) -> str:
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"no {model.__name__} to walk its admin pages with"
    return str(obj.pk)


def _admin_route(found: walk.Found) -> Route:
    models = _admin_models()
    if found.name is None:
        # the admin's unnamed patterns: <model>/<object_id>/ (redirects to change) and its
        # catch-all (?P<url>.*)$
        if "object_id" in found.params:
            app_label, model_name = found.route.split("/")[1:3]
            model = models[f"{app_label}_{model_name}"]
            url = "/" + found.route.replace("<path:object_id>", _instance_pk(model))
            return Route(f"(admin) {app_label}.{model_name} object", url)
        assert found.params == {"url"}, f"unknown unnamed admin pattern {found.route}"
        return Route("(admin) catch-all", "/admin/no-such-page/")
    short = found.name.removeprefix("admin:")
    model = next((m for key, m in models.items() if short.startswith(key + "_")), None)
    kwargs = {}
    for param in found.params:
        if param in ("object_id", "id") and model is not None:
            kwargs[param] = _instance_pk(model)
        elif param == "job_id":  # the admin's import confirm page (imports.admin_io)
            from imports.models import ImportJob

            kwargs[param] = _instance_pk(ImportJob)
        elif param == "app_label":
            kwargs[param] = "budgets"
        elif param == "content_type_id":
            kwargs[param] = ContentType.objects.get_for_model(Department).pk
            kwargs["object_id"] = _instance_pk(Department)
        elif param == "object_id" and "content_type_id" in found.params:
            continue
        else:
            pytest.fail(f"admin pattern {found.name} takes {param}: teach test_web.py its value")
    url = reverse(found.name, kwargs=kwargs)
    if short.endswith("_delete"):
        posts = [{"post": "yes"}]
    elif short.endswith(("_change", "_add")):
        posts = [{"name": "被改写", "code": "999", "username": "intruder"}]
    else:
        posts = [{}]
    return Route(found.name, url, posts)


def _no_object_posts(name: str, v: walk.Victim) -> list[dict]:
    return {
        "exports": [{"year": 2021, "kind": "project-self-evaluation", "format": "xlsx"}],
        "target_sheet_start": [{"project": v.project_without_sheet.pk}],
        "evaluation_start": [{"project": v.project_without_evaluation.pk}],
        "login": [{"username": "xn_clerk", "password": DEMO_PASSWORD}],
    }.get(name, [{}])


def all_routes(v: walk.Victim) -> list[Route]:
    Group.objects.get_or_create(name="测试用户组")  # the one admin model the demo leaves empty
    routes = []
    for found in walk.enumerate_patterns():
        if walk._is_static(found.route):
            continue
        if found.namespace and found.namespace[0] == "admin":
            routes.append(_admin_route(found))
        elif found.name in walk.TOKEN_URLS:  # a token that is not valid: the page says so
            url = reverse(found.name, kwargs={"uidb64": "MQ", "token": "set-password"})
            routes.append(Route(found.name, url, [{"new_password1": "x", "new_password2": "x"}]))
        elif found.params:
            spec = walk.OBJECT_URLS.get(found.name)
            assert spec is not None, (
                f"{found.name} takes {sorted(found.params)}: classify it in tests/security/walk.py"
            )
            for target in spec.targets(v):
                url = reverse(found.name, kwargs=target.kwargs)
                routes.append(Route(found.name, url, spec.posts(v, target)))
        else:
            url = reverse(found.name) if found.name else "/" + found.route
            routes.append(Route(found.name or found.route, url, _no_object_posts(found.name, v)))
    assert len({r.name for r in routes}) > 40, "the enumeration missed the admin"
    return routes


def _client(username: str, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(get_user_model().objects.get(username=username))
    return client


# --------------------------------------------------------------------------------------------
# Inline script scan (what the Content-Security-Policy would block)
# --------------------------------------------------------------------------------------------


class InlineCode(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src"):
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name in ("href", "src", "action") and (value or "").strip().startswith(
                "javascript:"
            ):
                self.found.append(f"{tag} {name}=javascript:")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def header_problems(response) -> list[str]:
    problems = [f"{k}: {response.get(k)!r}" for k, v in HEADERS.items() if response.get(k) != v]
    policy = response.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append("CSP frame-ancestors")
    if directives.get("script-src") != ["'self'"]:
        problems.append(f"CSP script-src {directives.get('script-src')}")
    if directives.get("default-src") != ["'self'"]:
        problems.append("CSP default-src")
    return problems


# --------------------------------------------------------------------------------------------
# No GET changes data
# --------------------------------------------------------------------------------------------


def test_no_get_changes_data(victim):
    """Every route, GET, as an administrator (who may open everything), the victim's own clerk
    and its reviewer: the digest of every table and of the stored files is the same after each
    request; no answer is a server error; every answer carries the security headers; no HTML
    page has inline script (so script-src 'self' breaks nothing)."""
    routes = all_routes(victim)
    users = ("admin", "xn_clerk", "reviewer")
    clients = {u: _client(u) for u in users}
    before = dbstate.digest()
    requests, pages, problems = 0, 0, []
    for route in routes:
        for username, client in clients.items():
            response = client.get(route.url)
            requests += 1
            where = f"GET {route.url} ({route.name}) as {username}"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
            problems += [f"{where}: {p}" for p in header_problems(response)]
            if (
                response.status_code == 200
                and not response.streaming
                and response.get("Content-Type", "").startswith("text/html")
            ):
                pages += 1
                problems += [f"{where}: {p}" for p in inline_code(response.content.decode())]
            if response.streaming:  # read through the client's wrapper, which closes the file
                b"".join(response.streaming_content)  # without closing the test's connection
            after = dbstate.digest()
            if after != before:
                problems.append(f"{where} changed {dbstate.changed(before, after)}")
                before = after
    covered(
        f"GET 不改数据：{len({r.name for r in routes})} 个路由、{len(routes)} 个地址 × "
        f"{len(users)} 个用户 = {requests} 次请求，每次前后比较全部 {len(before) - 1} 张表和文件；"
        f"{pages} 个 HTML 页面无内联脚本"
    )
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# CSRF on every state change
# --------------------------------------------------------------------------------------------


def test_every_post_without_csrf_token_is_refused(victim, django_capture_on_commit_callbacks):
    """Every route, POST with the bodies that would change data, as an administrator whose
    browser holds a CSRF cookie but whose form lacks the token (what a forged cross-site form
    sends): 403 with the Chinese page, and nothing changes. Control: the same kind of POST with
    the token is accepted."""
    routes = all_routes(victim)
    client = _client("admin", enforce_csrf_checks=True)
    client.get(reverse("home"))  # sets the csrftoken cookie
    assert settings.CSRF_COOKIE_NAME in client.cookies
    anonymous = Client(enforce_csrf_checks=True)
    anonymous.get(reverse("login"))
    before = dbstate.digest()
    attempts, failures = 0, []
    for route in routes:
        for body in route.posts:
            for who, c in (("admin", client), ("anonymous", anonymous)):
                if who == "anonymous" and route.name not in ("login", "admin:login"):
                    continue
                with django_capture_on_commit_callbacks(execute=True):
                    response = c.post(route.url, body)
                attempts += 1
                page = response.content.decode(errors="replace")
                if response.status_code != 403 or "页面已过期" not in page:
                    failures.append(
                        f"POST {route.url} ({route.name}) as {who}: {response.status_code}"
                    )
    after = dbstate.digest()
    covered(
        f"CSRF：{len({r.name for r in routes})} 个路由上 {attempts} 次无令牌的 POST，"
        f"均为 403 且数据未变"
    )
    assert not failures, "\n".join(failures)
    assert after == before, dbstate.changed(before, after)

    # Control: with the token, a state change goes through (the 403s were the token's).
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exports"),
            {
                "year": 2021,
                "kind": "project-self-evaluation",
                "format": "xlsx",
                "csrfmiddlewaretoken": token,
            },
        )
    assert response.status_code == 302
    assert dbstate.digest() != after
    assert client.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302


# --------------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------------


@pytest.fixture
def person(db):
    cache.clear()  # login throttle counters
    return UserFactory(username="zhangsan")


def _login(client: Client, username: str = "zhangsan", password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _logged_in(client: Client) -> bool:
    response = client.get(reverse("home"))
    return response.status_code == 200


def test_session_key_rotates_at_login(person):
    client = Client()
    session = client.session  # an anonymous session, as a planted (fixated) cookie would be
    session["probe"] = 1
    session.save()
    planted = session.session_key
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == planted
    response = _login(client)
    assert response.status_code == 302
    rotated = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert rotated != planted
    assert not Session.objects.filter(session_key=planted).exists()
    # the planted key gives no access
    stranger = Client()
    stranger.cookies[settings.SESSION_COOKIE_NAME] = planted
    assert not _logged_in(stranger)
    assert _logged_in(client)


def test_logout_invalidates_the_session(person):
    client = Client()
    _login(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert _logged_in(client)
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key  # a copy of the old cookie
    response = replay.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_deactivated_users_session_stops_working(person):
    client = Client()
    _login(client)
    assert _logged_in(client)
    person.is_active = False
    person.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get(reverse("exports")).status_code == 302
    # nor can it log in again
    assert "_auth_user_id" not in _login(Client()).wsgi_request.session


def test_idle_session_expires_and_activity_renews_it(person):
    assert settings.SESSION_SAVE_EVERY_REQUEST  # every request restarts the idle clock
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert timedelta(minutes=5) <= idle <= timedelta(hours=8)
    client = Client()
    _login(client)
    start = timezone.now()
    assert _logged_in(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    expires = Session.objects.get(session_key=key).expire_date
    assert abs(expires - (start + idle)) < timedelta(minutes=1)

    def at(moment):
        return mock.patch("django.utils.timezone.now", return_value=moment)

    # active again just before the idle limit: still in, and the clock restarts
    with at(start + idle - timedelta(minutes=1)):
        assert _logged_in(client)
    # past the first limit, but not idle that long since the last request: still in
    with at(start + idle + timedelta(minutes=1)):
        assert _logged_in(client)
    # idle for longer than the limit: the session is gone
    with at(start + 2 * idle + timedelta(minutes=1)):
        response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    covered(f"会话：登录时更换、退出时作废、停用账号即失效、空闲 {idle} 后过期")


# --------------------------------------------------------------------------------------------
# Login throttle
# --------------------------------------------------------------------------------------------

LOCKED = "登录失败次数过多，请15分钟后再试"


def test_login_is_throttled_per_user_and_address(person):
    assert settings.LOGIN_FAILURE_LIMIT == 5 and settings.LOGIN_LOCKOUT_SECONDS == 15 * 60
    client = Client()
    for attempt in range(1, 5):
        page = _login(client, password="wrong").content.decode()
        assert LOCKED not in page, attempt
    page = _login(client, password="wrong").content.decode()  # the fifth failure
    assert LOCKED in page
    # locked: even the right password is refused, without being checked
    response = _login(client)
    assert response.status_code == 200 and LOCKED in response.content.decode()
    assert not _logged_in(client)
    # the same name from another address, and another name from this address, are not locked
    UserFactory(username="lisi")
    assert _login(Client(), REMOTE_ADDR="10.1.2.3").status_code == 302
    assert _login(Client(), username="lisi").status_code == 302
    # 15 minutes after the first failure the lock is lifted
    import time

    later = time.time() + settings.LOGIN_LOCKOUT_SECONDS + 1
    with mock.patch("time.time", return_value=later):
        assert _login(client).status_code == 302
    covered("登录限流：同一用户名与地址失败 5 次后锁定 15 分钟（正确密码亦拒绝），其他地址不受影响")


def test_successful_login_clears_the_count(person):
    client = Client()
    for _ in range(4):
        _login(client, password="wrong")
    assert _login(client).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert LOCKED not in _login(client, password="wrong").content.decode()


def test_admin_login_is_throttled_too(person):
    person.is_staff = True
    person.save()
    client = Client()
    url = reverse("admin:login")
    for _ in range(5):
        page = client.post(url, {"username": "zhangsan", "password": "wrong"}).content.decode()
    assert LOCKED in page
    response = client.post(url, {"username": "zhangsan", "password": PASSWORD})
    assert response.status_code == 200 and LOCKED in response.content.decode()


# --------------------------------------------------------------------------------------------
# Headers and production settings
# --------------------------------------------------------------------------------------------


def test_security_headers_on_the_login_page(db):
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert header_problems(response) == []
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy.split("style-src-attr")[0]  # only style attributes
    assert "unsafe-eval" not in policy
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


PRODUCTION_PROBE = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.conf import settings
    from django.test import Client
    client = Client()
    secure = client.get("/no-such-page/", secure=True, headers={"host": "x"})
    plain = client.get("/login/", headers={"host": "x"})
    print(json.dumps({
        "secure_headers": dict(secure.headers),
        "plain_status": plain.status_code,
        "plain_location": plain.get("Location", ""),
        "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
        "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
        "debug": settings.DEBUG,
    }))
    """
)


def _production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="x",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


def test_production_settings_pass_check_deploy():
    """`manage.py check --deploy --fail-level WARNING` with the production settings (CI runs the
    same command in .ci/run)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    covered("生产配置：check --deploy --fail-level WARNING 无问题")


def test_production_sends_hsts_and_redirects_to_https():
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=settings.BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    headers = seen["secure_headers"]
    hsts = headers.get("Strict-Transport-Security", "")
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts, headers
    assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", "")
    assert headers.get("X-Frame-Options") == "DENY"
    assert seen["plain_status"] == 301 and seen["plain_location"].startswith("https://x/")
    assert seen["session_cookie_secure"] and seen["csrf_cookie_secure"] and not seen["debug"]
