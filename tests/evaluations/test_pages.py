"""Login and the home page per role, with a query budget that does not grow with the data."""

import pytest
from django.urls import reverse

from budgets.models import Membership
from evaluations.models import FormState
from tests.factories import (
    PASSWORD,
    DepartmentFactory,
    ProjectFactory,
    SelfEvaluationFactory,
    TargetSheetFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role


def populate(tree, fiscal_year, n: int) -> None:
    for department in (tree["bureau"], tree["centre"], tree["hotline"], tree["other"]):
        for _ in range(n):
            project = ProjectFactory(department=department, year=fiscal_year)
            TargetSheetFactory(project=project, state=FormState.SUBMITTED)
            SelfEvaluationFactory(project=project)


def test_login_page_is_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "用户登录" in response.content.decode()


def test_login_with_bad_password_shows_chinese_error(client, tree):
    user = member(tree["bureau"])
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_login_then_home(client, tree, fiscal_year):
    user = member(tree["bureau"])
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "市政务服务和大数据管理局" in response.content.decode()


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logout_requires_post(client, tree):
    client.force_login(member(tree["bureau"]))
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_clerk_sees_own_projects_and_states(client, tree, fiscal_year):
    mine = ProjectFactory(department=tree["centre"], year=fiscal_year, name="政务云平台建设")
    TargetSheetFactory(project=mine, state=FormState.RETURNED)
    ProjectFactory(department=tree["other"], year=fiscal_year, name="学校改造")
    client.force_login(member(tree["centre"]))
    page = client.get(reverse("home")).content.decode()
    assert "政务云平台建设" in page
    assert "已退回" in page
    assert "学校改造" not in page
    assert "市教育局" not in page


def test_supervising_clerk_sees_sub_units(client, tree, fiscal_year):
    ProjectFactory(department=tree["hotline"], year=fiscal_year, name="热线运维")
    client.force_login(member(tree["bureau"]))
    page = client.get(reverse("home")).content.decode()
    assert "热线运维" in page
    assert "市12345公共服务热线中心" in page


def test_reviewer_sees_queue_of_assigned_departments_only(client, tree, fiscal_year):
    populate(tree, fiscal_year, 1)
    client.force_login(member(tree["other"], Role.REVIEWER))
    response = client.get(reverse("home"))
    (review,) = [s for s in response.context["todo"].sections if s.key == "review"]
    assert [e.note.split(" · ")[0] for e in review.entries] == [tree["other"].name]
    assert review.total == 1 and review.summary == "表单 1 份，目标调整 0 项"


def test_admin_sees_setup_links(client, admin_user, fiscal_year):
    client.force_login(admin_user)
    page = client.get(reverse("home")).content.decode()
    assert "系统管理" in page
    assert reverse("admin:budgets_department_changelist") in page


def test_user_without_role_is_told_so(client, fiscal_year):
    client.force_login(UserFactory())
    assert "尚未分配单位或角色" in client.get(reverse("home")).content.decode()


def test_year_switch(client, tree, fiscal_year):
    from tests.factories import year_create

    other_year = year_create(2026, is_current=False)
    ProjectFactory(department=tree["bureau"], year=other_year, name="明年项目")
    client.force_login(member(tree["bureau"]))
    assert "明年项目" not in client.get(reverse("home")).content.decode()
    assert "明年项目" in client.get(reverse("home"), {"year": "2026"}).content.decode()
    assert client.get(reverse("home"), {"year": "abc"}).status_code == 200


@pytest.mark.parametrize("role", ["clerk", "head", "reviewer", "admin"])
def test_home_query_count_is_fixed(client, tree, fiscal_year, role, django_assert_max_num_queries):
    def user():
        if role == "admin":
            return UserFactory(username="root", is_superuser=True)
        return member(tree["bureau"], role)

    populate(tree, fiscal_year, 2)
    current = user()
    client.force_login(current)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("home")).status_code == 200
    populate(tree, fiscal_year, 20)
    DepartmentFactory(parent=tree["bureau"])
    with django_assert_max_num_queries(len(small)):
        assert client.get(reverse("home")).status_code == 200
    # 3 for the session save of the idle timeout; the overview 3 for a unit user (departments
    # with their count, 部门整体 forms, projects with their forms); the 待办 adds for a clerk 4
    # (open forms of every kind in one, projects and departments not started, adjustments
    # decided), for a head 1 (open forms), for a reviewer 2 (the queue's count and first rows,
    # as the old 待审核 card), for an administrator 3 (years, failed imports, exports); 1 for the
    # header's unread 消息 count; 1 for a unit user's open 整改通知; 绩效运行监控 adds the 整改 to
    # answer (clerk) or to close (reviewer)
    assert len(small) <= {"clerk": 18, "head": 14, "reviewer": 15}.get(role, 14)


def test_home_pages_departments(client, tree, fiscal_year, monkeypatch):
    from evaluations import selectors

    monkeypatch.setattr(selectors, "OVERVIEW_PAGE_SIZE", 2)
    client.force_login(member(tree["bureau"]))
    first = client.get(reverse("home"), {"year": "2025"})
    assert [r.department.code for r in first.context["overview"]] == ["100", "100001"]
    assert "第 1 / 2 页" in first.content.decode()
    second = client.get(reverse("home"), {"year": "2025", "page": "2"})
    assert [r.department.code for r in second.context["overview"]] == ["100002"]
