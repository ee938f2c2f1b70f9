from django.utils.functional import SimpleLazyObject

from .access import Role, access_for


def navigation(request):
    """What the header offers; lazy, and sharing the per-request access cache."""

    def build():
        access = access_for(request.user)
        roles = access.roles()
        return {
            "reviews": access.is_admin or Role.REVIEWER in roles,
            # who may import something (imports.services.kinds_for has the detail)
            "imports": access.is_admin or bool(roles),
        }

    return {"nav": SimpleLazyObject(build)}
