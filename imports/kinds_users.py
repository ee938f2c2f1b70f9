"""The `users` kind: accounts and their roles (用户名, 姓名, 单位编码, 角色, 邮箱); administrators
only.

One row is one role of one account; an account with two roles takes two rows (姓名 and 邮箱 must
then agree, or be left blank on one of them). Rows are matched on 用户名: a new name creates the
account, with an **unusable password** (the person sets their own at first login, through the
one-time link of `imports.accounts`: no password is ever in a file, a log, an audit record or an
e-mail); a known name updates 姓名 / 邮箱 and adds the role when it is missing.

The same rules as every kind: a blank cell changes nothing, imports never delete (a role missing
from the file stays; an account is deactivated in 系统管理 → 用户, not by import), all or nothing,
one audit record. Administrator accounts (superusers) and deactivated accounts are not changed by
an import: such a row is an error unless it changes nothing.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from budgets.models import Membership

from .engine import NEW, UNCHANGED, UPDATE, Column, Plan, mark_duplicates
from .files import FileRefused
from .kinds import BATCH, DEPT_CODE, Context, chunks, department_of, departments_by_code

USERNAME, NAME, ROLE, EMAIL = "用户名", "姓名", "角色", "邮箱"
USER_FIELDS = {"name": ("first_name", NAME), "email": ("email", EMAIL)}
ANY_ROLE = frozenset()  # administrators only: the file-level check already decided


class Users:
    key = "users"
    label = "用户"
    instructions = [
        "每行为一个用户的一个角色，按“用户名”匹配：用户名不存在则新建账号，已存在则更新姓名、邮箱，"
        "并在缺少该角色时添加。同一用户有多个角色时写多行。",
        "角色：单位填报人、单位负责人、财政审核人；单位编码为该角色所在的单位。新用户必须填写单位编码和角色。",
        "新账号没有密码：导入完成后，在导入结果页面为每个新用户生成一次性的“首次登录设置密码”链接，"
        "由管理员转交本人，本人打开链接自行设置密码。文件中不要填写密码。",
        "导入不会删除用户或角色，也不会停用账号；停用请在“系统管理 → 用户”中取消“有效”。",
        "只有系统管理员可以导入用户；管理员账号和已停用的账号不能通过导入修改。",
    ]

    def columns(self, ctx):
        return [
            Column(USERNAME, "username", required=True, required_header=True, max_length=150),
            Column(NAME, "name", max_length=150),
            Column(DEPT_CODE, "department", required_header=True, max_length=32, note="新用户必填"),
            Column(
                ROLE,
                "role",
                "choice",
                required_header=True,
                choices=tuple(Membership.Role.choices),
                note="新用户必填",
            ),
            Column(EMAIL, "email", max_length=254),
        ]

    def resolve(self, plan: Plan, ctx: Context) -> None:
        if not ctx.is_admin:
            raise FileRefused("只有系统管理员可以导入用户。")
        rows = plan.rows
        self._check_cells(rows)
        names = {r.values["username"] for r in rows if not r.errors}
        users = {}
        for chunk in chunks(names):
            users.update(
                {u.username: u for u in get_user_model().objects.filter(username__in=chunk)}
            )
        held = set()
        for chunk in chunks([u.id for u in users.values()]):
            held.update(
                Membership.objects.filter(user_id__in=chunk).values_list(
                    "user_id", "department_id", "role"
                )
            )
        departments = departments_by_code(r.values.get("department") for r in rows)
        mark_duplicates(
            rows,
            lambda r: (r.values["username"], r.values.get("department"), r.values.get("role")),
            USERNAME,
        )
        first_seen: dict[tuple[str, str], tuple[int, str]] = {}  # (用户名, field) → (row, value)
        for row in rows:
            if row.errors:
                continue
            v = row.values
            user = users.get(v["username"])
            department = department_of(row, departments, ctx, ANY_ROLE)
            if row.errors:
                continue
            if user is None and department is None:
                row.error(DEPT_CODE, "新用户必须填写单位编码和角色")
                continue
            for key, (_, header) in USER_FIELDS.items():
                if key not in v:
                    continue
                number, value = first_seen.setdefault((v["username"], key), (row.number, v[key]))
                if value != v[key]:
                    row.error(header, f"与第{number}行的{header}不一致（同一用户）")
            if row.errors:
                continue
            role_label = Membership.Role(v["role"]).label if "role" in v else ""
            row.label = " ".join(x for x in (v["username"], v.get("department"), role_label) if x)
            new_role = department is not None and (
                user is None or (user.id, department.id, v["role"]) not in held
            )
            if user is not None:
                for key, (attribute, header) in USER_FIELDS.items():
                    if key in v and getattr(user, attribute) != v[key]:
                        row.changes[header] = [getattr(user, attribute), v[key]]
                if new_role:
                    row.changes[ROLE] = ["", f"{department.code} {role_label}"]
                if row.changes and not user.is_active:
                    row.error(USERNAME, "该账号已停用，不能通过导入修改（请先在系统管理中启用）")
                elif row.changes and user.is_superuser:
                    row.error(USERNAME, "管理员账号不能通过导入修改")
                if row.errors:
                    continue
            row.status = NEW if user is None else UPDATE if row.changes else UNCHANGED
            row.target = (department, v.get("role") if department else None)

    @staticmethod
    def _check_cells(rows) -> None:
        """用户名 as Django accepts it, a valid 邮箱, and 单位编码 and 角色 given together."""
        valid_name = UnicodeUsernameValidator()
        for row in rows:
            v = row.values
            if "username" in v:
                try:
                    valid_name(v["username"])
                except ValidationError:
                    row.error(USERNAME, "只能包含字母、数字和 @ . + - _")
            if "email" in v:
                try:
                    validate_email(v["email"])
                except ValidationError:
                    row.error(EMAIL, "不是有效的邮箱地址")
            if ("department" in v) != ("role" in v):
                missing = ROLE if "department" in v else DEPT_CODE
                row.error(missing, "单位编码和角色须同时填写")

    def write(self, plan: Plan, ctx: Context) -> None:
        User = get_user_model()
        rows = [r for r in plan.rows if r.status in (NEW, UPDATE)]
        wanted: dict[str, dict] = {}  # 用户名 → the fields the file gives (rows agree)
        for row in rows:
            fields = wanted.setdefault(row.values["username"], {})
            for key, (attribute, _) in USER_FIELDS.items():
                if key in row.values:
                    fields[attribute] = row.values[key]
        new_names = {r.values["username"] for r in rows if r.status == NEW}
        # make_password(None): an unusable password (a random, unmatchable hash), so the account
        # cannot log in until its owner sets a password through the first-login link
        User.objects.bulk_create(
            [
                User(username=name, password=make_password(None), **wanted[name])
                for name in sorted(new_names)
            ],
            batch_size=BATCH,
        )
        users = {}
        for chunk in chunks(wanted):
            users.update({u.username: u for u in User.objects.filter(username__in=chunk)})
        changed = []
        for name, fields in wanted.items():
            if name in new_names or not fields:
                continue
            user = users[name]
            for attribute, value in fields.items():
                setattr(user, attribute, value)
            changed.append(user)
        User.objects.bulk_update(changed, ["first_name", "email"], batch_size=BATCH)
        Membership.objects.bulk_create(
            [
                Membership(user=users[r.values["username"]], department=dept, role=role)
                for r in rows
                for dept, role in [r.target]
                if dept is not None and (r.status == NEW or ROLE in r.changes)
            ],
            batch_size=BATCH,
        )
