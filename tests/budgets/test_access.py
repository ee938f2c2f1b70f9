import pytest
from django.http import Http404

from budgets import access
from budgets.models import Department, Membership, Project
from tests.factories import ProjectFactory, UserFactory, member

pytestmark = pytest.mark.django_db
Role = Membership.Role


def visible_codes(user) -> set[str]:
    return set(access.visible_departments(user).values_list("code", flat=True))


@pytest.mark.parametrize("role", [Role.CLERK, Role.HEAD, Role.REVIEWER])
def test_membership_in_supervising_department_covers_its_units(tree, role):
    user = member(tree["bureau"], role)
    assert visible_codes(user) == {"100", "100001", "100002"}


@pytest.mark.parametrize("role", [Role.CLERK, Role.HEAD, Role.REVIEWER])
def test_membership_in_a_unit_covers_only_that_unit(tree, role):
    user = member(tree["centre"], role)
    assert visible_codes(user) == {"100001"}


def test_reviewer_sees_exactly_the_assigned_departments(tree):
    reviewer = member(tree["hotline"], Role.REVIEWER)
    Membership.objects.create(user=reviewer, department=tree["other"], role=Role.REVIEWER)
    access.forget(reviewer)
    assert visible_codes(reviewer) == {"100002", "200"}


def test_admin_sees_everything(tree, admin_user):
    assert visible_codes(admin_user) == {"100", "100001", "100002", "200"}
    assert access.can_act(admin_user, Role.REVIEWER, tree["other"].id)


def test_user_without_membership_sees_nothing(tree):
    assert visible_codes(UserFactory()) == set()


def test_inactive_user_sees_nothing(tree):
    user = member(tree["bureau"])
    user.is_active = False
    assert visible_codes(user) == set()


def test_anonymous_sees_nothing(tree):
    from django.contrib.auth.models import AnonymousUser

    assert visible_codes(AnonymousUser()) == set()


def test_inactive_department_drops_out(tree):
    user = member(tree["bureau"])
    Department.objects.filter(pk=tree["hotline"].pk).update(is_active=False)
    assert visible_codes(user) == {"100", "100001"}


def test_roles_do_not_mix(tree):
    user = member(tree["bureau"], Role.CLERK)
    assert access.can_act(user, Role.CLERK, tree["centre"].id)
    assert not access.can_act(user, Role.REVIEWER, tree["centre"].id)
    assert not access.can_act(user, Role.HEAD, tree["centre"].id)
    assert not access.can_act(user, Role.CLERK, tree["other"].id)


def test_object_outside_reach_is_404(tree, fiscal_year):
    mine = ProjectFactory(department=tree["centre"], year=fiscal_year)
    theirs = ProjectFactory(department=tree["other"], year=fiscal_year)
    user = member(tree["centre"])
    assert access.get_visible_or_404(Project.objects.all(), user, pk=mine.pk) == mine
    with pytest.raises(Http404):
        access.get_visible_or_404(Project.objects.all(), user, pk=theirs.pk)
    with pytest.raises(Http404):
        access.get_visible_or_404(Project.objects.all(), user, pk=10**9)


def test_scope_filters_rows(tree, fiscal_year):
    ProjectFactory(department=tree["centre"], year=fiscal_year)
    ProjectFactory(department=tree["hotline"], year=fiscal_year)
    ProjectFactory(department=tree["other"], year=fiscal_year)
    user = member(tree["bureau"])
    assert access.scope(Project.objects.all(), user).count() == 2
    assert access.scope(Project.objects.all(), member(tree["other"])).count() == 1


def test_access_costs_one_query_and_is_cached(tree, django_assert_num_queries):
    user = member(tree["bureau"])
    with django_assert_num_queries(1):
        access.access_for(user)
        access.access_for(user)
        access.can_act(user, Role.CLERK, tree["centre"].id)
