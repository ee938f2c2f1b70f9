from django.utils.functional import SimpleLazyObject

from .access import Role, access_for


def navigation(request):
    """What the header offers; lazy, and sharing the per-request access cache."""

    def build():
        access = access_for(request.user)
        return {"reviews": access.is_admin or Role.REVIEWER in access.roles()}

    return {"nav": SimpleLazyObject(build)}
