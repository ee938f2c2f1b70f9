"""Login with a throttle, for the site's login page and the admin's.

After LOGIN_FAILURE_LIMIT failed attempts for one user name from one address, further attempts
from that address for that name are refused (the password is not even checked) until
LOGIN_LOCKOUT_SECONDS after the first failure. Each attempt is numbered in the cache before its
password is checked, so parallel attempts cannot slip past the limit. Counting per name *and*
address keeps a guesser from locking a colleague out from elsewhere. The counters live in
Django's cache: set CACHE_URL to Redis where several processes serve the site, so that they share
one count. Only a successful login clears the count.
"""

import hashlib
import logging

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache

log = logging.getLogger(__name__)


def locked_message() -> str:
    minutes = max(1, round(settings.LOGIN_LOCKOUT_SECONDS / 60))
    return f"登录失败次数过多，请{minutes}分钟后再试。"


def client_address(request) -> str:
    # REMOTE_ADDR as the server saw it: behind a reverse proxy, the proxy must pass the client's
    # address there (X-Forwarded-For is not trusted: any client can set it).
    return (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"


def _key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}\x1f{address}".encode()).hexdigest()
    return f"login-failures:{digest[:40]}"


def failures(username: str, address: str) -> int:
    return cache.get(_key(username, address), 0)


def reserve_attempt(username: str, address: str) -> int:
    """Take the next attempt's number before the password is checked (the numbers of attempts
    since the window began, this one included). `add` and `incr` are atomic in every shared
    cache (Redis INCR; locmem under its lock), so parallel attempts get distinct numbers and no
    more than the limit are ever judged: checking a count and counting a failure afterwards let
    40 parallel guesses through before the first failure was counted."""
    key = _key(username, address)
    # The window starts at the first attempt: `add` sets the expiry once, `incr` keeps it.
    cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
    try:
        number = cache.incr(key)
    except ValueError:  # expired between add and incr (locmem): a new window
        cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        number = cache.incr(key)
    if number == 1:
        # Redis' INCR recreates a key that expired between add and incr without an expiry: give
        # it the window's (a count without one would lock the name for ever).
        cache.touch(key, timeout=settings.LOGIN_LOCKOUT_SECONDS)
    if number == settings.LOGIN_FAILURE_LIMIT + 1:
        log.warning("login locked for %r from %s after %d attempts", username, address, number - 1)
    return number


def clear(username: str, address: str) -> None:
    cache.delete(_key(username, address))


class ThrottledLoginMixin:
    """Number the attempt, refuse it past the limit without checking the password, then check;
    only a successful login clears the count."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        number = reserve_attempt(username, address)
        if number > settings.LOGIN_FAILURE_LIMIT:
            raise forms.ValidationError(locked_message(), code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if number >= settings.LOGIN_FAILURE_LIMIT:  # that was the last one allowed
                raise forms.ValidationError(locked_message(), code="throttled") from None
            raise
        # A form without a password passes clean() without logging anyone in: not a success.
        if self.get_user() is not None:
            clear(username, address)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True
