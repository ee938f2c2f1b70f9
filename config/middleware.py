"""Response headers that Django 5.2's own middleware does not set.

Content-Security-Policy (settings.CONTENT_SECURITY_POLICY): scripts only from our own static
files, no inline scripts or event handlers, no framing (frame-ancestors 'none', beside
X-Frame-Options: DENY from XFrameOptionsMiddleware). HSTS, nosniff, Referrer-Policy and COOP
come from Django's SecurityMiddleware (settings.SECURE_*).
"""

import contextlib
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader

from core import health


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        permissions = getattr(settings, "PERMISSIONS_POLICY", "")
        if permissions and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = permissions
        return response


class MethodNotAllowedPageMiddleware:
    """Django has no handler405: require_POST answers an empty page. Opening a POST-only address
    (a bookmark, a reload) gets the site's Chinese error page instead, still with status 405."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            response.content = loader.render_to_string("405.html")
            response["Content-Type"] = "text/html; charset=utf-8"
            if response.has_header("Content-Length"):  # set by CommonMiddleware for the empty body
                response["Content-Length"] = str(len(response.content))
        return response


class HealthCheckMiddleware:
    """`/healthz` for a load balancer, answered first: no login, session, host check or HTTPS
    redirect (a balancer probes a backend by its address, over plain HTTP). 200 "ok" when the
    database and the cache answer, else 503 "unavailable"; nothing else is said. The broker and
    the workers are `manage.py health`'s: a web server serves its pages without them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != "/healthz":
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        ok = health.alive()
        response = HttpResponse(
            "ok" if ok else "unavailable", status=200 if ok else 503, content_type="text/plain"
        )
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ProxiedClientAddressMiddleware:
    """Behind nginx every request comes from the proxy's address, so the login throttle (per name
    and address, budgets/login.py) would count every client as one. A request from one of
    settings.TRUSTED_PROXIES gets REMOTE_ADDR from the X-Real-IP header the proxy sets (nginx:
    `proxy_set_header X-Real-IP $remote_addr`, which replaces any the client sent). From any
    other address the header is ignored: a client cannot choose its address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        proxies = settings.TRUSTED_PROXIES
        if proxies and request.META.get("REMOTE_ADDR") in proxies:
            real = request.META.get("HTTP_X_REAL_IP", "").strip()
            # no header, or not an address: the proxy's own stays
            with contextlib.suppress(ValueError):
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(real))
        return self.get_response(request)
