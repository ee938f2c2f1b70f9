"""Response headers that Django 5.2's own middleware does not set.

Content-Security-Policy (settings.CONTENT_SECURITY_POLICY): scripts only from our own static
files, no inline scripts or event handlers, no framing (frame-ancestors 'none', beside
X-Frame-Options: DENY from XFrameOptionsMiddleware). HSTS, nosniff, Referrer-Policy and COOP
come from Django's SecurityMiddleware (settings.SECURE_*).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


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
