"""Who may see and act for which departments: the one place for access rules.

- An administrator (superuser) sees everything.
- A membership in a department covers that department and its whole subtree: a 主管部门's clerk or
  head also sees its 所属单位; a reviewer assigned to a 主管部门 reviews its 所属单位 too.
- Nobody else sees anything. Lookups of objects outside a user's reach answer 404.

One query per request (the departments the memberships cover, recursively); the result is cached on
the user object, so every selector and check in one request shares it.
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Model, QuerySet
from django.http import Http404

from .models import Department, Membership

Role = Membership.Role
_CACHE_ATTR = "_department_access"


@dataclass(frozen=True)
class Access:
    is_admin: bool
    # role → ids of departments the role covers (the membership's department and its subtree)
    by_role: dict[str, frozenset[int]] = field(default_factory=dict)

    @property
    def visible(self) -> frozenset[int] | None:
        """Ids of visible departments, or None for 'all' (administrators)."""
        if self.is_admin:
            return None
        return frozenset().union(*self.by_role.values()) if self.by_role else frozenset()

    def roles(self) -> set[str]:
        return {role for role, ids in self.by_role.items() if ids}

    def has_role(self, role: str, department_id: int) -> bool:
        return department_id in self.by_role.get(role, frozenset())

    def sees(self, department_id: int) -> bool:
        visible = self.visible
        return visible is None or department_id in visible

    def fingerprint(self) -> str:
        """The access as text: equal for users with the same roles over the same departments
        (what a page part cached for one of them may be shown to the other under)."""
        if self.is_admin:
            return "admin"
        return ";".join(
            f"{role}:{','.join(map(str, sorted(ids)))}"
            for role, ids in sorted(self.by_role.items())
            if ids
        )


def _covered(seed: str, params: list) -> list[tuple[str, int]]:
    """(role, department id) of the departments `seed` gives (a SELECT of (role, id) over the
    departments `d`, and for a user's memberships `m`) and of every active one below them: the
    one rule of what a department covers, as a recursive query (only the rows covered are read,
    not the city's tree; UNION, not UNION ALL, ends at a department met twice)."""
    department, membership = Department._meta, Membership._meta
    quote = connection.ops.quote_name
    names = {
        "d": quote(department.db_table),
        "m": quote(membership.db_table),
        "id": quote(department.pk.column),
        "parent": quote(department.get_field("parent").column),
        "active": quote(department.get_field("is_active").column),
        "role": quote(membership.get_field("role").column),
        "department": quote(membership.get_field("department").column),
        "user": quote(membership.get_field("user").column),
    }
    sql = """
        WITH RECURSIVE covered (role, id) AS (
            {seed}
            UNION
            SELECT covered.role, d.{id} FROM {d} d JOIN covered ON d.{parent} = covered.id
            WHERE d.{active}
        )
        SELECT role, id FROM covered"""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(seed=seed.format(**names), **names), params)
        return cursor.fetchall()


# a user's memberships in active departments
_MEMBERSHIPS = (
    "SELECT m.{role}, d.{id} FROM {m} m JOIN {d} d ON d.{id} = m.{department} "
    "WHERE m.{user} = %s AND d.{active}"
)
# one department, whatever its state
_ROOT = "SELECT '', d.{id} FROM {d} d WHERE d.{id} = %s"


def access_for(user) -> Access:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Access(is_admin=False)
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if user.is_superuser:
        access = Access(is_admin=True)
    else:
        by_role: dict[str, set[int]] = {}
        for role, department_id in _covered(_MEMBERSHIPS, [user.pk]):
            by_role.setdefault(role, set()).add(department_id)
        by_role = {role: frozenset(ids) for role, ids in by_role.items()}
        access = Access(is_admin=False, by_role=by_role)
    setattr(user, _CACHE_ATTR, access)
    return access


def forget(user) -> None:
    """Drop the cached access (after memberships change within one request, e.g. in tests)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def scope(queryset: QuerySet, user, department_field: str = "department") -> QuerySet:
    """Filter any queryset down to the rows of departments the user may see."""
    visible = access_for(user).visible
    if visible is None:
        return queryset
    return queryset.filter(**{f"{department_field}__in": visible})


def department_subtree(root_id: int) -> set[int]:
    """The ids of a department and of every active unit below it (one query): what a
    membership in it covers, e.g. a 主管部门 and its 所属单位."""
    return {department_id for _, department_id in _covered(_ROOT, [root_id])}


def visible_departments(user) -> QuerySet:
    return scope(Department.objects.filter(is_active=True), user, department_field="id")


def get_visible_or_404(
    queryset: QuerySet, user, department_field: str = "department", **lookup
) -> Model:
    """Fetch one object the user may see; anything else (missing or out of reach) is 404."""
    try:
        return scope(queryset, user, department_field).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404("未找到该对象，或您无权查看。") from exc


def can_act(user, role: str, department_id: int) -> bool:
    """May the user act in `role` for this department (e.g. a clerk editing, a reviewer approving)?
    Administrators may act in every role."""
    access = access_for(user)
    return access.is_admin or access.has_role(role, department_id)
