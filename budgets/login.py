"""Login with a throttle, for the site's login page and the admin's.

After LOGIN_FAILURE_LIMIT failed attempts for one user name from one address, further attempts
from that address for that name are refused (the password is not even checked) until
LOGIN_LOCKOUT_SECONDS after the first failure. Counting per name *and* address keeps a guesser
from locking a colleague out from elsewhere. The counters live in Django's cache: set CACHE_URL
to Redis where several processes serve the site, so that they share one count. A successful
login clears the count.
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


def is_locked(username: str, address: str) -> bool:
    return failures(username, address) >= settings.LOGIN_FAILURE_LIMIT


def record_failure(username: str, address: str) -> int:
    key = _key(username, address)
    # The window starts at the first failure: `add` sets the expiry once, `incr` keeps it.
    cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        count = 1
    if count == settings.LOGIN_FAILURE_LIMIT:
        log.warning("login locked for %r from %s after %d failures", username, address, count)
    return count


def clear(username: str, address: str) -> None:
    cache.delete(_key(username, address))


class ThrottledLoginMixin:
    """Refuse locked attempts before checking the password; count failures; clear on success."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        if is_locked(username, address):
            raise forms.ValidationError(locked_message(), code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if record_failure(username, address) >= settings.LOGIN_FAILURE_LIMIT:
                raise forms.ValidationError(locked_message(), code="throttled") from None
            raise
        clear(username, address)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True
