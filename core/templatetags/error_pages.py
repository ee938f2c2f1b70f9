"""For the error pages only: a static URL that cannot itself fail.

An error page must render whatever went wrong, including a static manifest that lacks an entry
(production storage raises ValueError for it; collectstatic not yet run): the page then links the
plain path and still says, in Chinese, what happened.
"""

from django import template
from django.conf import settings
from django.templatetags.static import static

register = template.Library()


@register.simple_tag
def static_or_plain(path: str) -> str:
    try:
        return static(path)
    except ValueError:
        return f"{settings.STATIC_URL.rstrip('/')}/{path}"
