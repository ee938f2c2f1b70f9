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

    def unread():
        # one query, only on pages that show the header to a signed-in user
        return unread_count(request.user) if request.user.is_authenticated else 0

    return {"nav": SimpleLazyObject(build), "unread": SimpleLazyObject(unread)}
