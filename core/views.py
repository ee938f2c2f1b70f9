"""The error pages' views that are not Django's defaults (wired in config: handler400 and
CSRF_FAILURE_VIEW); templates/400.html … 500.html render the others."""

from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.template import loader

from .http import BadParameter


def bad_request(request, exception=None):
    """handler400: Django's page, but saying which parameter was wrong when it is ours. Rendered
    without the request, like Django's own: no context processor runs (a malformed request, e.g.
    a forged Host header, must not reach them)."""
    message = str(exception) if isinstance(exception, BadParameter) else ""
    return HttpResponseBadRequest(loader.render_to_string("400.html", {"message": message}))


def csrf_failure(request, reason=""):
    """A Chinese page instead of Django's technical 403 when a form's CSRF token is stale."""
    return render(request, "403_csrf.html", status=403)
