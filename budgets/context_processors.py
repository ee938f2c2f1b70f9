from django.utils.functional import SimpleLazyObject

from .access import Role, access_for
from .notifications import unread_count


def navigation(request):
    """What the header offers; lazy, and sharing the per-request access cache."""

    def build():
        access = access_for(request.user)
        roles = access.roles()
        return {
            "reviews": access.is_admin or Role.REVIEWER in roles,
            # a 主管部门审核人 reviews his 所属单位's forms in the 审核工作台, nothing else
            "supervises": Role.SUPERVISOR in roles,
            # who may import something (imports.services.kinds_for has the detail)
            "imports": access.is_admin or bool(roles - {Role.SUPERVISOR}),
        }

    return {"nav": SimpleLazyObject(build), "unread": SimpleLazyObject(lambda: _unread(request))}


def _unread(request) -> int:
    """The header's count of unread 消息: one query a request, only on pages that show it."""
    if not hasattr(request, "_unread"):
        user = request.user
        request._unread = unread_count(user) if user.is_authenticated else 0
    return request._unread


def frame_shown(request) -> list:
    """What the header shows of the signed-in user besides what the user's access gives (the
    menu): part of the key of a page cached whole (core.freshness.cached_page)."""
    user = request.user
    return [user.pk, user.get_username(), user.get_full_name(), user.is_superuser, _unread(request)]
