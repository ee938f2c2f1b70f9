"""One base for every error whose message is for the user (Chinese, shown as is), handled once
for all views by `UserErrorMiddleware`.

A view that shows the user's input again on refusal (the 绩效目标 and 绩效自评 forms) still catches
the error itself; every other view lets it rise: a posted form gets the message and a redirect
back, anything else (a GET, a JSON call) a 400 page saying it. Anything that is not a UserError is
a bug: it is not caught here, so it is logged and answered 500.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme


class UserError(Exception):
    """A refusal the user can act on; str() is the Chinese message. Nothing was saved."""


_NEXT = "_user_error_next"


def back_to(target: Callable[..., str]):
    """Where a POST-only view sends the user back to when it raises a UserError:
    `target(request, *args, **kwargs)` gives the address (the page the form was on)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            setattr(request, _NEXT, lambda: target(request, *args, **kwargs))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _back(request) -> str:
    target = getattr(request, _NEXT, None)
    if target is not None:
        return target()
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return request.get_full_path()  # a page that posts to itself


def _wants_page(request) -> bool:
    """A form post from a page (a redirect with a message makes sense), not a script's call."""
    accept = request.headers.get("Accept", "")
    return request.method == "POST" and "application/json" not in accept


class UserErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, UserError):
            return None  # a bug: Django logs it and answers 500
        if _wants_page(request):
            messages.error(request, str(exception))
            return HttpResponseRedirect(_back(request))
        return HttpResponseBadRequest(
            loader.render_to_string("400.html", {"message": str(exception)}, request)
        )
