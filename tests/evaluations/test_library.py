"""指标库 (issue 15, item 3): the rules of an entry, the service and 系统管理 that use them, and
the target grid: entries delivered with the page (queries fixed), a line's link kept and checked,
the earlier years of the same indicator shown."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.models import Membership
from core.models import AuditLog
from evaluations import rules
from evaluations.models import Indicator, LibraryIndicator, TargetSheet
from evaluations.services import LibraryRefused, library_entry_save, library_problems
from tests.factories import (
    IndicatorFactory,
    ProjectFactory,
    TargetSheetFactory,
    grid_post,
    grid_row,
    member,
    year_create,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role


def entry(**values) -> LibraryIndicator:
    fields = {
        "code": "ZW-001",
        "level1": "产出指标",
        "level2": "数量指标",
        "domain": "政务服务",
        "name": "政务服务大厅办件量",
        "comparator": "≥",
        "typical_value": "50",
        "unit": "万件",
        "explanation": "年度办结件数",
        "scoring_rule": "完成得满分",
    }
    fields.update(values)
    return LibraryIndicator(**fields)


# ------------------------------------------------------------------------------------ rules


@pytest.mark.parametrize(
    ("comparator", "value", "unit", "expected"),
    [
        ("≥", "50", "万件", {}),
        ("≥", "", "万件", {}),  # the typical value may be left blank
        ("定性", "", "", {}),
        ("定性", "明显提升", "", {}),
        (
            "≥",
            "五十",
            "万件",
            {"target_value": ["定量指标的典型指标值必须是数字（文字目标请选择“定性”）"]},
        ),
        ("≤", "2", "", {"unit": ["定量指标须填写计量单位"]}),
        ("≥", "123456789012345", "元", {"target_value": None}),  # too many digits
        ("大于", "1", "件", {"comparator": None}),
    ],
)
def test_library_line_rules(comparator, value, unit, expected):
    problems = rules.library_line_problems(rules.TargetLine("指标", comparator, value, unit))
    assert set(problems) == set(expected)
    for field, messages in expected.items():
        if messages:
            assert problems[field] == messages


def test_categories_are_names_of_the_standard_tree_or_of_a_year(fiscal_year):
    assert library_problems(entry()) == {}
    assert library_problems(entry(level1="产出", level2="数量指标")) == {
        "level1": ["“产出”不是一级指标"]
    }
    assert library_problems(entry(level2="满意度")) == {
        "level2": ["“满意度”不是“产出指标”下的二级指标"]
    }
    assert "code" in library_problems(entry(code="  "))


# ----------------------------------------------------------------------- service and admin


def test_service_saves_and_audits_and_refuses_saving_nothing(admin_user):
    saved = library_entry_save(entry=entry(), actor=admin_user)
    log = AuditLog.objects.get(action="新增指标库指标")
    assert log.changes["name"] == [None, "政务服务大厅办件量"]
    saved.typical_value = "60"
    library_entry_save(entry=saved, actor=admin_user)
    assert AuditLog.objects.get(action="修改指标库指标").changes == {"typical_value": ["50", "60"]}
    saved.typical_value = "六十"
    with pytest.raises(LibraryRefused, match="数字"):
        library_entry_save(entry=saved, actor=admin_user)
    assert LibraryIndicator.objects.get().typical_value == "60"
    # saving unchanged leaves no record
    library_entry_save(entry=LibraryIndicator.objects.get(), actor=admin_user)
    assert AuditLog.objects.count() == 2


def admin_form(**values) -> dict:
    data = {
        "code": "XXH-009",
        "level1": "效益指标",
        "level2": "可持续影响指标",
        "domain": "信息化建设",
        "name": "系统正常使用年限",
        "comparator": "≥",
        "typical_value": "5",
        "unit": "年",
        "explanation": "",
        "scoring_rule": "",
        "is_active": "on",
    }
    data.update(values)
    return data


def test_admin_adds_changes_through_the_service(admin_client):
    add = reverse("admin:evaluations_libraryindicator_add")
    response = admin_client.post(add, admin_form(typical_value="五年"))
    assert response.status_code == 200  # shown again with the rule's message
    assert "定量指标的典型指标值必须是数字" in response.content.decode()
    assert not LibraryIndicator.objects.exists()
    response = admin_client.post(add, admin_form())
    assert response.status_code == 302
    saved = LibraryIndicator.objects.get()
    assert AuditLog.objects.filter(action="新增指标库指标", object_id=str(saved.pk)).exists()
    change = reverse("admin:evaluations_libraryindicator_change", args=[saved.pk])
    # the code is the identity: read-only once saved (a posted code is ignored)
    response = admin_client.post(change, admin_form(code="OTHER", typical_value="6"))
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.code, saved.typical_value) == ("XXH-009", "6")
    assert AuditLog.objects.get(action="修改指标库指标").changes == {"typical_value": ["5", "6"]}
    delete = reverse("admin:evaluations_libraryindicator_delete", args=[saved.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert LibraryIndicator.objects.exists()
    listing = admin_client.get(reverse("admin:evaluations_libraryindicator_changelist"))
    assert "系统正常使用年限" in listing.content.decode()


# ----------------------------------------------------------------------------- the grid


@pytest.fixture
def sheet(tree, fiscal_year):
    project = ProjectFactory(department=tree["centre"], year=fiscal_year, code="P-LIB")
    return TargetSheetFactory(project=project)


@pytest.fixture
def clerk_client(client, tree):
    client.force_login(member(tree["centre"], Role.CLERK))
    return client


def url(sheet):
    return reverse("target_sheet", args=[sheet.pk])


def library_json(page: str) -> list[dict]:
    found = re.search(r'<script id="library-data" type="application/json">(.*?)</script>', page)
    return json.loads(found.group(1))


def test_grid_delivers_the_active_entries(clerk_client, sheet, admin_user):
    library_entry_save(entry=entry(), actor=admin_user)
    stopped = entry(code="OLD", name="停用的指标", is_active=False)
    library_entry_save(entry=stopped, actor=admin_user)
    page = clerk_client.get(url(sheet)).content.decode()
    data = library_json(page)
    assert [e["code"] for e in data] == ["ZW-001"]
    assert data[0]["scoring_rule"] == "完成得满分" and data[0]["domain"] == "政务服务"
    assert 'role="combobox"' in page and 'role="listbox"' in page


def test_a_line_keeps_its_library_link_and_texts(clerk_client, sheet, fiscal_year, admin_user):
    chosen = library_entry_save(entry=entry(), actor=admin_user)
    row = grid_row(fiscal_year, name="政务服务大厅办件量", target="50", unit="万件")
    row.update(library=chosen.pk, explanation="年度办结件数", scoring_rule="完成得满分")
    assert clerk_client.post(url(sheet), grid_post(sheet, [row])).status_code == 302
    line = Indicator.objects.get(sheet=sheet)
    assert (line.library_id, line.scoring_rule) == (chosen.pk, "完成得满分")
    # a save of the page as loaded keeps the texts and the link (they are rows' hidden inputs)
    page = clerk_client.get(url(sheet)).content.decode()
    for field in ("library", "explanation", "scoring_rule"):
        assert f'name="rows-0-{field}"' in page
    assert "库 ZW-001" in page
    sheet.refresh_from_db()
    row.update(id=line.pk, target_value="55")
    assert clerk_client.post(url(sheet), grid_post(sheet, [row])).status_code == 302
    line.refresh_from_db()
    assert (line.library_id, line.target_value) == (chosen.pk, "55")
    assert line.scoring_rule == "完成得满分"


@pytest.mark.parametrize("bad", ["999999", "-1", "abc"])
def test_an_unknown_or_bad_library_id_never_breaks_the_save(clerk_client, sheet, fiscal_year, bad):
    row = grid_row(fiscal_year)
    row["library"] = bad
    response = clerk_client.post(url(sheet), grid_post(sheet, [row]))
    if bad == "999999":  # a well-formed id of an entry that is gone: the link is dropped
        assert response.status_code == 302
        assert Indicator.objects.get(sheet=sheet).library_id is None
    else:  # a malformed one is the form's error, nothing saved
        assert response.status_code == 200
        assert "未保存" in response.content.decode()
        assert not Indicator.objects.filter(sheet=sheet).exists()


def test_the_earlier_years_of_the_same_indicator_are_shown(clerk_client, sheet, tree, admin_user):
    chosen = library_entry_save(entry=entry(), actor=admin_user)
    earlier_year = year_create(2024, is_current=False)
    earlier = TargetSheetFactory(
        project=ProjectFactory(department=tree["centre"], year=earlier_year, code="P-LIB")
    )
    IndicatorFactory(sheet=earlier, library=chosen, target_value="40", unit="万件")
    other = TargetSheetFactory(
        project=ProjectFactory(department=tree["centre"], year=earlier_year, code="P-OTHER")
    )
    IndicatorFactory(sheet=other, library=chosen, target_value="7", unit="万件")
    IndicatorFactory(sheet=sheet, library=chosen, target_value="50", unit="万件")
    page = clerk_client.get(url(sheet)).content.decode()
    assert "2024年 ≥40万件" in page
    assert "≥7万件" not in page  # another project's line is not this project's history


@pytest.mark.parametrize("viewer", [Role.CLERK, Role.REVIEWER])
def test_grid_queries_do_not_grow_with_the_library(client, tree, sheet, viewer, admin_user):
    client.force_login(member(tree["bureau"], viewer))
    first = library_entry_save(entry=entry(), actor=admin_user)
    IndicatorFactory(sheet=sheet, library=first)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url(sheet)).status_code == 200
    earlier_year = year_create(2024, is_current=False)
    earlier = TargetSheetFactory(
        project=ProjectFactory(department=tree["centre"], year=earlier_year, code="P-LIB")
    )
    for n in range(30):
        more = library_entry_save(entry=entry(code=f"C{n}", name=f"指标{n}"), actor=admin_user)
        IndicatorFactory(sheet=sheet, library=more)
        IndicatorFactory(sheet=earlier, library=more)
    with CaptureQueriesContext(connection) as large:
        page = client.get(url(sheet)).content.decode()
    assert len(large) == len(small), [q["sql"] for q in large][len(small) :]
    if viewer == Role.CLERK:
        assert len(library_json(page)) == 31
    assert TargetSheet.objects.filter(pk=sheet.pk).exists()
