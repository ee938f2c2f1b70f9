"""The `users` kind: accounts and roles by import, and the first-login password set."""

import io
import logging

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from budgets.models import Membership
from core.models import AuditLog
from imports.engine import plan_file
from imports.files import FileRefused, read_sheet
from imports.kinds import KINDS, Context
from imports.models import ImportJob
from imports.services import ImportRefused, job_create, job_preview, kinds_for
from imports.workbooks import template
from tests.factories import member
from tests.imports.conftest import csv_bytes, run, xlsx

pytestmark = pytest.mark.django_db
User = get_user_model()
HEADERS = ["用户名", "姓名", "单位编码", "角色", "邮箱"]
SECRET = "Zz-first-login-9931"


def test_template_has_the_columns_and_a_role_dropdown(admin_user):
    book = openpyxl.load_workbook(io.BytesIO(template("users", Context(user=admin_user))))
    sheet = book["数据"]
    assert [c.value for c in sheet[1]] == ["用户名*", "姓名", "单位编码", "角色", "邮箱"]
    lists = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert any("单位填报人" in f and "财政审核人" in f for f in lists)


def test_import_creates_accounts_without_password_and_their_roles(tree):
    data = xlsx(
        HEADERS,
        [
            ["zhang", "张三", "100001", "单位填报人", "zhang@example.cn"],
            ["zhang", "", "100001", "单位负责人", ""],
            ["li", "李四", "200", "财政审核人", None],
        ],
    )
    job = run("users", data)
    assert job.state == ImportJob.State.DONE, job.errors
    assert job.counts == {"new": 3, "update": 0, "unchanged": 0, "error": 0}
    zhang = User.objects.get(username="zhang")
    assert zhang.first_name == "张三" and zhang.email == "zhang@example.cn"
    assert not zhang.has_usable_password()
    assert set(zhang.memberships.values_list("department__code", "role")) == {
        ("100001", "clerk"),
        ("100001", "head"),
    }
    assert AuditLog.objects.filter(action="批量导入·用户").count() == 1
    # the same file again changes nothing and writes no audit record
    again = run("users", data)
    assert again.counts["unchanged"] == 3 and AuditLog.objects.count() == 1


def test_blank_cells_change_nothing_and_a_new_role_is_added(tree):
    user = member(tree["centre"], username="wang", email="w@example.cn")
    job = run("users", xlsx(HEADERS, [["wang", None, "200", "单位负责人", None]]))
    assert job.state == ImportJob.State.DONE and job.counts["update"] == 1
    user.refresh_from_db()
    assert user.email == "w@example.cn" and user.first_name.startswith("用户")
    assert user.memberships.count() == 2 and user.has_usable_password()  # imports never delete


@pytest.mark.parametrize(
    "row, message",
    [
        (["new1", "新人", None, None, None], "新用户必须填写单位编码和角色"),
        (["new1", "新人", "100001", None, None], "单位编码和角色须同时填写"),
        (["new1", "新人", "999", "单位填报人", None], "单位“999”不存在或已停用"),
        (["new 1", "新人", "100001", "单位填报人", None], "只能包含字母、数字"),
        (["new1", "新人", "100001", "单位填报人", "not-mail"], "不是有效的邮箱地址"),
        (["new1", "新人", "100001", "管理员", None], "不是有效选项"),
        (["admin", "改名", None, None, None], "管理员账号不能通过导入修改"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(tree, admin_user, row, message):
    good = ["ok1", "好人", "100001", "单位填报人", None]
    job = run("users", xlsx(HEADERS, [good, row]))
    assert job.state == ImportJob.State.INVALID
    assert any(message in e[2] for e in job.errors), job.errors
    assert not User.objects.filter(username__in=["ok1", "new1"]).exists()


def test_rows_of_one_user_must_agree(tree):
    rows = [
        ["zhao", "赵一", "100001", "单位填报人", None],
        ["zhao", "赵二", "200", "单位填报人", None],
    ]
    job = run("users", xlsx(HEADERS, rows))
    assert job.state == ImportJob.State.INVALID
    assert "与第2行的姓名不一致（同一用户）" in job.errors[0][2]


def test_deactivated_account_is_not_changed(tree):
    member(tree["centre"], username="gone", is_active=False)
    job = run("users", xlsx(HEADERS, [["gone", "复活", None, None, None]]))
    assert job.state == ImportJob.State.INVALID and "已停用" in job.errors[0][2]


def test_only_administrators_import_users(tree):
    reviewer = member(tree["bureau"], Membership.Role.REVIEWER)
    assert "users" not in dict(kinds_for(reviewer))
    with pytest.raises(ImportRefused, match="您无权导入这类数据"):
        job_create(user=reviewer, kind="users", name="u.csv", data=b"a", enqueue=False)
    # and the kind itself refuses a non-administrator, whoever made the job
    sheet = read_sheet("u.csv", csv_bytes(HEADERS, [["a", "", "", "", ""]]))
    with pytest.raises(FileRefused, match="只有系统管理员可以导入用户"):
        plan_file(KINDS["users"], sheet, Context(user=reviewer))


def test_first_login_link_sets_the_password_once_and_no_password_is_stored(
    client, admin_user, tree, caplog, commit_hooks
):
    caplog.set_level(logging.DEBUG)
    client.force_login(admin_user)
    data = xlsx(HEADERS, [["sun", "孙七", "100001", "单位填报人", "sun@example.cn"]])
    job = job_create(user=admin_user, kind="users", name="u.xlsx", data=data, enqueue=False)
    job_preview(job.pk)
    client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "首次登录链接" in page
    link = page.split('class="first-login-link">', 1)[1].split("<", 1)[0]
    assert "/accounts/activate/" in link
    client.logout()
    form = client.get(link, follow=True)
    assert "设置密码" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": SECRET, "new_password2": SECRET}
    )
    assert done.status_code == 302 and done.url == reverse("login")
    sun = User.objects.get(username="sun")
    assert sun.check_password(SECRET)
    assert client.login(username="sun", password=SECRET)
    client.logout()
    # the link works once
    assert "此链接已失效" in client.get(link, follow=True).content.decode()
    # no password anywhere: job, audit, log
    job.refresh_from_db()
    stored = str([job.counts, job.errors, job.preview, job.notes, job.message])
    stored += str(list(AuditLog.objects.values_list("changes", "reason")))
    assert SECRET not in stored and SECRET not in caplog.text
    assert sun.password not in stored and "password" not in stored


def test_cli_imports_users(tree, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "u.csv"
    path.write_bytes(csv_bytes(HEADERS, [["cli1", "命令行", "200", "财政审核人", ""]]))
    call_command("import_data", "users", str(path))
    assert Membership.objects.filter(user__username="cli1", role="reviewer").exists()


def test_activation_needs_a_valid_token(client, tree):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    victim = member(tree["centre"], username="victim")  # has a password: no first login
    uid = urlsafe_base64_encode(force_bytes(victim.pk))
    for token in ("set-password", "abc-123", default_token_generator.make_token(victim) + "x"):
        page = client.get(reverse("account_activate", args=[uid, token]), follow=True)
        assert "此链接已失效" in page.content.decode()
        posted = client.post(
            reverse("account_activate", args=[uid, token]),
            {"new_password1": SECRET, "new_password2": SECRET},
        )
        assert posted.status_code == 200
    victim.refresh_from_db()
    assert not victim.check_password(SECRET)
    # an account that already has a password gets no link at all
    from django.test import RequestFactory

    from imports.accounts import first_login_link

    assert first_login_link(RequestFactory().get("/"), victim) is None
