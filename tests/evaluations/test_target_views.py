"""The target sheet page as clerks and reviewers use it."""

import re

import pytest
from django.urls import reverse

from budgets.models import Membership
from evaluations.models import FormState, TargetSheet
from tests.factories import (
    IndicatorFactory,
    ProjectFactory,
    TargetSheetFactory,
    category,
    grid_post,
    grid_row,
    member,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role


def complete(fiscal_year):
    return [
        grid_row(fiscal_year, "数量指标", "话务平台接听量", "≥", "45", "万件", "30"),
        grid_row(fiscal_year, "时效指标", "设施维修时间", "≤", "2", "小时", "20"),
        grid_row(fiscal_year, "社会效益指标", "保障大厅运行", "定性", "保障正常运转", "", "30"),
        grid_row(fiscal_year, "服务对象满意度指标", "群众满意率", "≥", "95", "%", "10"),
    ]


@pytest.fixture
def sheet(tree, fiscal_year):
    project = ProjectFactory(department=tree["centre"], year=fiscal_year, name="政务云平台")
    return TargetSheetFactory(project=project)


@pytest.fixture
def clerk_client(client, tree):
    client.force_login(member(tree["centre"]))
    return client


def url(sheet):
    return reverse("target_sheet", args=[sheet.pk])


def test_clerk_saves_grid(clerk_client, sheet, fiscal_year):
    response = clerk_client.post(url(sheet), grid_post(sheet, complete(fiscal_year)))
    assert response.status_code == 302
    assert sheet.indicators.count() == 4
    page = clerk_client.get(url(sheet)).content.decode()
    assert "已保存草稿" in page and "群众满意率" in page


def test_clerk_submits(clerk_client, sheet, fiscal_year):
    clerk_client.post(url(sheet), grid_post(sheet, complete(fiscal_year), action="submit"))
    sheet.refresh_from_db()
    assert sheet.state == FormState.SUBMITTED


def test_bad_input_saves_nothing_and_keeps_what_was_typed(clerk_client, sheet, fiscal_year):
    rows = complete(fiscal_year)
    rows[1]["weight"] = "二十"
    rows[2]["name"] = "我刚输入的指标名称"
    response = clerk_client.post(url(sheet), grid_post(sheet, rows))
    page = response.content.decode()
    assert response.status_code == 200
    assert "填写有误，未保存" in page
    assert "分值必须是数字" in page
    assert "我刚输入的指标名称" in page and "二十" in page
    assert sheet.indicators.count() == 0


def test_submit_with_rule_problems_saves_draft_and_names_the_line(clerk_client, sheet, fiscal_year):
    rows = complete(fiscal_year)
    rows[0]["unit"] = ""
    response = clerk_client.post(url(sheet), grid_post(sheet, rows, action="submit"))
    page = response.content.decode()
    assert "定量指标须填写计量单位" in page
    sheet.refresh_from_db()
    assert sheet.state == FormState.DRAFT and sheet.indicators.count() == 4


def test_level2_must_belong_to_level1(clerk_client, sheet, fiscal_year):
    rows = complete(fiscal_year)
    rows[0]["level1"] = category(fiscal_year, "社会效益指标").parent_id
    page = clerk_client.post(url(sheet), grid_post(sheet, rows)).content.decode()
    assert "所选二级指标不属于该一级指标" in page


def test_concurrent_save_is_refused_with_input_kept(clerk_client, sheet, fiscal_year):
    stale = grid_post(sheet, complete(fiscal_year), goal="第二个人的目标")
    clerk_client.post(url(sheet), grid_post(sheet, complete(fiscal_year), goal="第一个人的目标"))
    page = clerk_client.post(url(sheet), stale).content.decode()
    assert "该表单已被他人修改" in page and "第二个人的目标" in page
    sheet.refresh_from_db()
    assert sheet.overall_goal == "第一个人的目标"


def test_other_department_gets_404(client, tree, sheet):
    client.force_login(member(tree["other"]))
    assert client.get(url(sheet)).status_code == 404
    assert client.post(url(sheet), {"action": "save"}).status_code == 404


def test_reviewer_returns_with_line_comment(client, tree, sheet, fiscal_year):
    line = IndicatorFactory(sheet=sheet, name="话务平台接听量")
    TargetSheet.objects.filter(pk=sheet.pk).update(state=FormState.SUBMITTED)
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    page = client.get(url(sheet)).content.decode()
    assert f'name="line-{line.id}"' in page and "审核通过" in page
    response = client.post(
        url(sheet),
        {"action": "return", "reason": "请补充", f"line-{line.id}": "目标值偏低", "version": 1},
    )
    assert response.status_code == 302
    sheet.refresh_from_db()
    line.refresh_from_db()
    assert sheet.state == FormState.RETURNED and line.review_comment == "目标值偏低"


def test_reviewer_cannot_edit_grid(client, tree, sheet, fiscal_year):
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    client.post(url(sheet), grid_post(sheet, complete(fiscal_year)))
    assert sheet.indicators.count() == 0


def test_clerk_cannot_approve_through_the_page(clerk_client, sheet):
    TargetSheet.objects.filter(pk=sheet.pk).update(state=FormState.SUBMITTED)
    page = clerk_client.post(
        url(sheet), {"action": "approve", "version": 1}, follow=True
    ).content.decode()
    assert "没有权限" in page
    sheet.refresh_from_db()
    assert sheet.state == FormState.SUBMITTED


def test_start_button_creates_sheet(clerk_client, tree, fiscal_year):
    project = ProjectFactory(department=tree["centre"], year=fiscal_year)
    response = clerk_client.post(reverse("target_sheet_start"), {"project": project.pk})
    sheet = TargetSheet.objects.get(project=project)
    assert response["Location"] == url(sheet)
    assert clerk_client.get(reverse("target_sheet_start")).status_code == 405


@pytest.mark.parametrize("viewer", [Role.CLERK, Role.REVIEWER])
def test_page_query_count_does_not_grow(client, tree, sheet, viewer, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(member(tree["bureau"], viewer))
    IndicatorFactory(sheet=sheet)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url(sheet)).status_code == 200
    for _ in range(30):
        IndicatorFactory(sheet=sheet)
    with django_assert_max_num_queries(len(small)):
        assert client.get(url(sheet)).status_code == 200


def test_a_sheet_of_a_thousand_lines_saves(clerk_client, sheet, fiscal_year, settings):
    """The grid allows 1,000 lines (and imports add any number): a save of every field of every
    line, as the browser posts it, fits Django's field-count limit (issue 12: ~90 lines were
    refused with a 400 at the default 1,000 fields)."""
    lines = 1000
    rows = [grid_row(fiscal_year, name=f"指标{n}", weight="0.1") for n in range(lines)]
    response = clerk_client.post(url(sheet), grid_post(sheet, rows))
    assert response.status_code == 302, response.status_code
    assert sheet.indicators.count() == lines
    # Again from the page, with every field the page renders for a line (ids, DELETE, ORDER).
    page = clerk_client.get(url(sheet)).content.decode()
    per_line = set(re.findall(r'name="rows-0-([A-Za-z0-9_]+)"', page))
    assert {"id", "name", "weight", "ORDER", "DELETE"} <= per_line
    sheet.refresh_from_db()
    indicators = list(sheet.indicators.order_by("order", "id"))
    rows = [{**r, "id": i.id, "DELETE": ""} for r, i in zip(rows, indicators, strict=True)]
    data = grid_post(sheet, rows)
    data["rows-INITIAL_FORMS"] = lines
    fields = len(data) + 2  # + csrfmiddlewaretoken, and a margin for what a browser adds
    assert fields >= lines * len(per_line)
    assert fields <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    data["rows-0-name"] = "改过的指标"
    response = clerk_client.post(url(sheet), data)
    assert response.status_code == 302, response.status_code
    assert sheet.indicators.count() == lines
    assert sheet.indicators.filter(name="改过的指标").exists()
