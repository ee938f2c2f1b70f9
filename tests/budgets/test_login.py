"""The login throttle (budgets/login.py) under parallel attempts: each attempt takes its number
from the cache counter *before* the password is checked, so no more than LOGIN_FAILURE_LIMIT
passwords are ever judged for one name and address, however many requests arrive at once
(issue 12: 40 parallel wrong passwords plus the right one had the right one accepted and 8 wrong
ones judged)."""

import os
import threading
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.test import RequestFactory, override_settings

from budgets import login
from tests.factories import PASSWORD, UserFactory
from tests.report import covered

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("LOGIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


def _redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
        return True
    except Exception:
        return False


CACHES = {
    "locmem": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    "redis": {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "jxzp-test-login",
        }
    },
}


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request):
    if request.param == "redis" and not _redis_available():
        pytest.skip(f"Redis 不可用（{REDIS_URL}），跳过 Redis 上的登录限流并发测试")
    with override_settings(CACHES=CACHES[request.param]):
        # only this test's counter: the Redis database may hold others' keys
        caches["default"].delete(KEY)
        yield request.param
        caches["default"].delete(KEY)


ADDRESS = "10.0.0.9"
KEY = login._key("zhangsan", ADDRESS)


def _attempt(password: str, address: str = ADDRESS):
    request = RequestFactory().post("/login/", REMOTE_ADDR=address)
    form = login.LoginForm(request, data={"username": "zhangsan", "password": password})
    return form.is_valid(), form


def _parallel(passwords: list[str]) -> tuple[list[tuple[str, bool]], int]:
    """Run the attempts at once; answer [(password, accepted)] and how many passwords the
    backend judged."""
    judged = []
    judged_lock = threading.Lock()
    real = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        with judged_lock:
            judged.append(password)
        # stands in for the password hasher's cost (PBKDF2 takes ~0.7 s; the tests use MD5):
        # the window in which other attempts arrive while this one is being judged
        threading.Event().wait(0.02)
        return real(self, request, username=username, password=password, **kwargs)

    barrier = threading.Barrier(len(passwords))
    results: list[tuple[str, bool]] = []

    def run(password):
        from django.db import connection

        try:
            barrier.wait()
            accepted, _ = _attempt(password)
            with judged_lock:
                results.append((password, accepted))
        finally:
            connection.close()

    with mock.patch.object(ModelBackend, "authenticate", counting):
        threads = [threading.Thread(target=run, args=(p,)) for p in passwords]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return results, len(judged)


def test_parallel_wrong_passwords_judge_at_most_the_limit(cache_backend):
    UserFactory(username="zhangsan")
    limit = settings.LOGIN_FAILURE_LIMIT
    results, judged = _parallel(["wrong"] * 40)
    assert len(results) == 40 and not any(accepted for _, accepted in results)
    assert judged == limit, f"{judged} passwords judged, {limit} allowed"
    # then the right password, the lock being on, is refused without being checked
    accepted, form = _attempt(PASSWORD)
    assert not accepted and login.locked_message() in str(form.errors)
    covered(
        f"登录限流并发（{cache_backend}）：40 个并行错误密码只校验 {judged} 个"
        f"（上限 {limit}），其后正确密码亦被拒绝"
    )


def test_right_password_among_parallel_wrong_ones(cache_backend):
    """The right password is accepted only if it took one of the first `limit` numbers; the
    wrong ones judged are never more than the limit (a success clears the count, so up to the
    limit again may follow it)."""
    UserFactory(username="zhangsan")
    limit = settings.LOGIN_FAILURE_LIMIT
    for _ in range(5):
        caches["default"].delete(KEY)
        results, judged = _parallel(["wrong"] * 40 + [PASSWORD])
        right = dict(results)[PASSWORD]
        assert not any(accepted for password, accepted in results if password != PASSWORD)
        assert judged <= (2 * limit if right else limit), (judged, right)


def test_blank_password_does_not_clear_the_count(cache_backend):
    """A form with no password is not a successful login: it must not reset the count (else
    wrong, wrong, …, blank, wrong, … guesses for ever)."""
    UserFactory(username="zhangsan")
    limit = settings.LOGIN_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert not _attempt("wrong")[0]
    assert not _attempt("")[0]
    accepted, form = _attempt("wrong")
    assert not accepted and login.locked_message() in str(form.errors)
    assert not _attempt(PASSWORD)[0]


def test_count_recreated_without_expiry_gets_one(cache_backend):
    """Redis' `incr` recreates a key that expired between `add` and `incr` without an expiry;
    the count restarts at 1 and gets the window's expiry (else the name is locked for ever)."""
    key = KEY
    cache = caches["default"]
    cache.set(key, 0, timeout=None)  # the key as `incr` recreates it: no expiry
    with mock.patch.object(type(cache), "add", return_value=False):
        assert login.reserve_attempt("zhangsan", ADDRESS) == 1
    if cache_backend == "redis":
        client = cache._cache.get_client(key)
        ttl = client.ttl(cache.make_and_validate_key(key))
        assert 0 < ttl <= settings.LOGIN_LOCKOUT_SECONDS
    else:
        assert cache._expire_info[cache.make_and_validate_key(key)] is not None
