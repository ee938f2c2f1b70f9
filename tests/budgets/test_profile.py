"""个人信息 (budgets/profile.py): a user edits their own name, 联系电话 and 职务; the phone is
checked; each change is audited; the standard tables print the 填表人 line from it."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from budgets.models import Profile, contact_of, validate_phone
from core.models import AuditLog
from evaluations import services
from reporting.tables.registry import targets_table
from reporting.tables.xlsx import render_xlsx
from tests.factories import TargetSheetFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "phone",
    ["0715-8256789", "13800000000", "+86 715 8256789", "0715-8256789 转 801", "8256789-801", ""],
)
def test_phones_accepted(phone):
    validate_phone(phone)


@pytest.mark.parametrize("phone", ["电话", "=1+1", "12", "0715/8256789", "1" * 30, "abc123456"])
def test_phones_refused_in_chinese(phone):
    with pytest.raises(ValidationError, match="联系电话只能由数字"):
        validate_phone(phone)


def test_profile_edits_only_ones_own(client):
    me, other = UserFactory(first_name="旧名"), UserFactory(first_name="别人")
    client.force_login(me)
    page = client.get(reverse("profile"))
    assert page.status_code == 200 and "旧名" in page.content.decode()
    # a posted user id or name is ignored: the address names no one, the session does
    response = client.post(
        reverse("profile"),
        {"name": "张晓明", "phone": "0715-8256789", "title": "科员", "user": other.pk},
    )
    assert response.status_code == 302
    me.refresh_from_db()
    other.refresh_from_db()
    assert me.first_name == "张晓明" and other.first_name == "别人"
    assert contact_of(me) == ("张晓明", "0715-8256789")
    assert not Profile.objects.filter(user=other).exists()
    record = AuditLog.objects.get(action="个人信息·修改")
    assert record.actor == me and record.changes["phone"] == ["", "0715-8256789"]
    # the same again changes nothing and records nothing
    client.post(reverse("profile"), {"name": "张晓明", "phone": "0715-8256789", "title": "科员"})
    assert AuditLog.objects.filter(action="个人信息·修改").count() == 1
    client.logout()
    assert client.get(reverse("profile")).status_code == 302  # to the login page


def test_bad_phone_is_refused_and_kept_on_the_page(client):
    me = UserFactory(first_name="张晓明")
    client.force_login(me)
    response = client.post(reverse("profile"), {"name": "", "phone": "=1+1", "title": ""})
    body = response.content.decode()
    assert response.status_code == 200
    assert "联系电话只能由数字" in body and "请填写姓名" in body
    assert 'value="=1+1"' in body
    me.refresh_from_db()
    assert me.first_name == "张晓明" and not Profile.objects.filter(user=me).exists()


def test_filler_prints_as_text_in_the_xlsx_and_on_screen(fiscal_year):
    """The 填表人 line is whoever saved (then submitted) the form; a 姓名 such as "=1+1" (the
    users import takes any text) prints as text, never a formula."""
    sheet = TargetSheetFactory(project__year=fiscal_year)
    clerk = member(sheet.department, first_name="=1+1")
    Profile.objects.create(user=clerk, phone="+86 715 8256789")
    services.target_sheet_save(
        sheet=sheet, user=clerk, overall_goal="新目标", rows=[], version=sheet.version
    )
    table = targets_table(sheet)
    texts = [c.value for c in table.cells if isinstance(c.value, str)]
    assert "填表人：=1+1" in texts and "联系电话：+86 715 8256789" in texts
    cells = [
        c.value
        for row in load_workbook(io.BytesIO(render_xlsx([table]))).active.iter_rows()
        for c in row
    ]
    assert "填表人：=1+1" in cells  # text, not a formula (which would start with "=")
    assert "联系电话：+86 715 8256789" in cells
