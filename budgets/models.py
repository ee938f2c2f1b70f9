"""Who and how much: fiscal years, the department tree, roles, projects and their funds,
department-level budget figures, and the audit log of every change.

Money is stored in 万元 as exact decimals with up to 4 places (sources give 864.259 万元);
tables show 2 places.
"""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from core import numbers


def money_field(verbose_name: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=16, decimal_places=4, **kwargs)


class FiscalYear(models.Model):
    """A budget year and its scoring policy (DOMAIN.md defaults, configurable per year)."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    is_current = models.BooleanField("当前年度", default=False)
    evaluation_open = models.BooleanField("自评已开启", default=False)
    evaluation_deadline = models.DateField("自评截止日期", null=True, blank=True)
    target_deadline = models.DateField(
        "绩效目标申报截止日期",
        null=True,
        blank=True,
        help_text="单位提交本年度绩效目标的截止日期；临近时提醒单位，过后未提交的标为逾期。",
    )
    require_head_confirmation = models.BooleanField("须单位负责人确认后送审", default=False)
    require_supervisor_review = models.BooleanField(
        "须主管部门审核后报财政",
        default=False,
        help_text="开启后，所属单位的绩效目标和绩效自评提交后先由主管部门审核人审核通过，"
        "再报送财政部门审核；主管部门本级的表单直接报送财政。",
    )

    execution_weight = models.DecimalField(
        "预算执行率分值", max_digits=5, decimal_places=2, default=Decimal("10")
    )
    indicator_weight = models.DecimalField(
        "绩效指标分值", max_digits=5, decimal_places=2, default=Decimal("90")
    )
    band_achieved_low = models.DecimalField(
        "达成年度指标得分下限（占分值比例）",
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.80"),
    )
    band_partial_low = models.DecimalField(
        "部分达成得分下限（占分值比例）", max_digits=4, decimal_places=3, default=Decimal("0.60")
    )
    grade_excellent = models.DecimalField(
        "“优”最低分", max_digits=5, decimal_places=2, default=Decimal("90")
    )
    grade_good = models.DecimalField(
        "“良”最低分", max_digits=5, decimal_places=2, default=Decimal("80")
    )
    grade_pass = models.DecimalField(
        "“中”最低分", max_digits=5, decimal_places=2, default=Decimal("60")
    )
    score_places = models.PositiveSmallIntegerField("得分保留小数位", default=2)
    percent_places = models.PositiveSmallIntegerField("百分比保留小数位", default=2)
    deviation_execution_threshold = models.DecimalField(
        "执行率低于此值须说明偏差原因", max_digits=4, decimal_places=3, default=Decimal("0.90")
    )
    # 绩效运行监控 traffic lights (evaluations.lights): how far the execution rate may trail the
    # share of the year elapsed (in percentage points, as a fraction) before a line turns yellow/red
    monitoring_yellow_gap = models.DecimalField(
        "监控·执行进度落后时间进度超过此值为黄灯",
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.10"),
    )
    monitoring_red_gap = models.DecimalField(
        "监控·执行进度落后时间进度超过此值为红灯",
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.20"),
    )
    # 抽查复核 and 结果应用 (issue 17): they do not change stored totals, so no recompute
    sample_percent = models.DecimalField(
        "抽查比例（%）",
        max_digits=5,
        decimal_places=2,
        default=Decimal("20"),
        help_text="从财政已审核的自评表中随机抽查的比例（0–100）。",
    )
    sample_min_per_department = models.PositiveSmallIntegerField(
        "每个单位至少抽查份数",
        default=1,
        help_text="单位的已审核自评表少于此数时全部抽查。",
    )
    sample_low_execution = models.DecimalField(
        "“优”但执行率低于此值必查",
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.80"),
        help_text="比例，如 0.80 即 80%：评价等级为“优”而执行率低于此值的自评表必被抽中。",
    )
    spot_check_difference_threshold = models.DecimalField(
        "复核差异提示阈值（分）",
        max_digits=5,
        decimal_places=2,
        default=Decimal("5"),
        help_text="单位被抽查自评表的|自评分−复核分|平均值超过此值时，该单位标为“复核差异大”。",
    )
    # Stored totals, grades and flags follow the policy through a background recompute: a policy
    # change bumps `recompute_requested`, the task that finishes it stores its number in
    # `recompute_done` (a task that finds a newer request leaves the year to that one's task).
    recompute_requested = models.PositiveIntegerField("重算请求序号", default=0, editable=False)
    recompute_done = models.PositiveIntegerField("重算完成序号", default=0, editable=False)
    recomputed_at = models.DateTimeField("重算完成时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "年度"
        verbose_name_plural = "年度"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_year"
            ),
            models.CheckConstraint(
                condition=Q(band_partial_low__gte=0)
                & Q(band_partial_low__lt=F("band_achieved_low"))
                & Q(band_achieved_low__lte=1),
                name="year_bands_ordered",
            ),
            models.CheckConstraint(
                condition=Q(grade_pass__lt=F("grade_good"))
                & Q(grade_good__lt=F("grade_excellent")),
                name="year_grades_ordered",
            ),
            models.CheckConstraint(
                condition=Q(execution_weight__gte=0) & Q(indicator_weight__gte=0),
                name="year_weights_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(sample_percent__gte=0) & Q(sample_percent__lte=100),
                name="year_sample_percent_range",
                violation_error_message="抽查比例须在0至100之间",
            ),
            models.CheckConstraint(
                condition=Q(sample_low_execution__gte=0)
                & Q(spot_check_difference_threshold__gte=0),
                name="year_spot_check_non_negative",
                violation_error_message="执行率阈值和复核差异阈值不能为负数",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年度"

    @property
    def recompute_pending(self) -> bool:
        return self.recompute_requested > self.recompute_done


class Department(models.Model):
    """A budget unit (预算单位). A 主管部门 has 所属单位 as children."""

    class Kind(models.TextChoices):
        ADMINISTRATIVE = "行政", "行政单位"
        PUBLIC_INSTITUTION = "事业", "事业单位"
        CIVIL_SERVICE_MANAGED = "参公", "参公管理单位"
        OTHER = "其他", "其他"

    code = models.CharField("单位编码", max_length=32, unique=True)
    name = models.CharField("单位名称", max_length=100)
    kind = models.CharField(
        "单位类型", max_length=8, choices=Kind.choices, default=Kind.ADMINISTRATIVE
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位（主管部门）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="department_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def supervising(self) -> "Department":
        """The 主管部门: the top of this unit's branch."""
        node = self
        while node.parent_id is not None:
            node = node.parent
        return node


class Membership(models.Model):
    """A user's role in a department. Reviewers are assigned to the departments they review.

    A membership in a department covers its whole subtree (a 主管部门's people see its 所属单位).
    Administrators are superusers and need no membership.
    """

    class Role(models.TextChoices):
        CLERK = "clerk", "单位填报人"
        HEAD = "head", "单位负责人"
        REVIEWER = "reviewer", "财政审核人"
        # reviews the forms of its 所属单位 before finance, when the year asks for it
        SUPERVISOR = "supervisor", "主管部门审核人"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    department = models.ForeignKey(
        Department, verbose_name="单位", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField("角色", max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = "用户角色"
        verbose_name_plural = "用户角色"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "department", "role"], name="unique_membership"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.get_role_display()}"


PHONE_PATTERN = re.compile(
    r"^\+?[0-9][0-9 \-]{2,23}(?:\s*(?:转|分机|ext\.?|x)\s*[0-9]{1,6})?$", re.I
)
PHONE_MESSAGE = (
    "联系电话只能由数字、“-”、“+”、空格和分机号组成，如 0715-8256789 转 801 或 13800000000。"
)


def validate_phone(value: str) -> None:
    if value and not PHONE_PATTERN.match(value.strip()):
        raise ValidationError(PHONE_MESSAGE, code="phone")


class Profile(models.Model):
    """What the standard tables print about a person beside the name (User.first_name, 姓名):
    the 联系电话 of their 填表人 line, and a 职务. Edited by the user on 个人信息."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="profile",
    )
    phone = models.CharField("联系电话", max_length=40, blank=True, validators=[validate_phone])
    title = models.CharField("职务", max_length=50, blank=True)
    email_notices = models.BooleanField(
        "接收邮件通知", default=True, help_text="关闭后，消息只在本系统的“消息”中显示。"
    )

    class Meta:
        verbose_name = "个人信息"
        verbose_name_plural = "个人信息"

    def __str__(self) -> str:
        return str(self.user)


class Notification(models.Model):
    """One message to one user in the 消息 centre (and by e-mail unless they turned it off):
    created by budgets.notifications.notify, only when the transaction that caused it commits.
    `key` (when set) makes a message once-only per user, e.g. the day's deadline reminder."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField("类别", max_length=20)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    key = models.CharField("去重键", max_length=80, blank=True)
    created = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="notification_once"
            ),
        ]

    def __str__(self) -> str:
        return self.title


def contact_of(user) -> tuple[str, str]:
    """(姓名, 联系电话) of a user for a 填表人 line; blanks for none. `user` should come with its
    profile (select_related("…__profile")): no query then."""
    if user is None:
        return "", ""
    try:
        phone = user.profile.phone
    except Profile.DoesNotExist:
        phone = ""
    return (user.get_full_name() or user.get_username()), phone


FUND_SOURCES = (("current", "本年财政拨款"), ("carryover", "上年结转资金"), ("other", "其他资金"))
FUND_STAGES = (("initial", "年初预算数"), ("full", "全年预算数"), ("executed", "全年执行数"))


class Project(models.Model):
    """A 项目支出 project of one year, run by one department (实施单位), with funds by source."""

    year = models.ForeignKey(
        FiscalYear, verbose_name="年度", on_delete=models.PROTECT, related_name="projects"
    )
    department = models.ForeignKey(
        Department, verbose_name="实施单位", on_delete=models.PROTECT, related_name="projects"
    )
    code = models.CharField("项目编码", max_length=64)
    name = models.CharField("项目名称", max_length=200)
    category = models.CharField("项目类别", max_length=50, blank=True)
    # 已结束: not carried into the next year when it is opened from this one (open_year).
    ended = models.BooleanField("已结束", default=False)
    # The same project's row of the year it was carried from (same code): the identity across
    # years, set by open_year; empty for a project first entered this year.
    previous = models.ForeignKey(
        "self",
        verbose_name="上年项目",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    initial_current = money_field("年初预算数·本年财政拨款", default=Decimal("0"))
    initial_carryover = money_field("年初预算数·上年结转资金", default=Decimal("0"))
    initial_other = money_field("年初预算数·其他资金", default=Decimal("0"))
    full_current = money_field("全年预算数·本年财政拨款", default=Decimal("0"))
    full_carryover = money_field("全年预算数·上年结转资金", default=Decimal("0"))
    full_other = money_field("全年预算数·其他资金", default=Decimal("0"))
    executed_current = money_field("全年执行数·本年财政拨款", default=Decimal("0"))
    executed_carryover = money_field("全年执行数·上年结转资金", default=Decimal("0"))
    executed_other = money_field("全年执行数·其他资金", default=Decimal("0"))

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目"
        ordering = ["year", "department__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="unique_project_code_per_year"),
            models.CheckConstraint(
                condition=Q(initial_current__gte=0)
                & Q(initial_carryover__gte=0)
                & Q(initial_other__gte=0)
                & Q(full_current__gte=0)
                & Q(full_carryover__gte=0)
                & Q(full_other__gte=0)
                & Q(executed_current__gte=0)
                & Q(executed_carryover__gte=0)
                & Q(executed_other__gte=0),
                name="project_funds_non_negative",
            ),
            models.CheckConstraint(
                condition=numbers.in_column(
                    *(
                        f"{stage}_{source}"
                        for stage, _ in FUND_STAGES
                        for source, _ in FUND_SOURCES
                    ),
                    max_digits=16,
                    decimal_places=4,
                ),
                name="project_funds_in_column",
                violation_error_message="项目资金须在0至999999999999.9999万元之间",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def fund(self, stage: str, source: str) -> Decimal:
        return getattr(self, f"{stage}_{source}")

    def fund_total(self, stage: str) -> Decimal:
        return sum((self.fund(stage, source) for source, _ in FUND_SOURCES), Decimal("0"))

    @property
    def initial_total(self) -> Decimal:
        return self.fund_total("initial")

    @property
    def full_total(self) -> Decimal:
        return self.fund_total("full")

    @property
    def executed_total(self) -> Decimal:
        return self.fund_total("executed")


def _optional_money(verbose_name: str) -> models.DecimalField:
    # None means 无数据: department figures are often incomplete, and a missing input must never
    # be confused with zero in the computed common indicators.
    return money_field(verbose_name, null=True, blank=True)


INCOME_NATURE_KEYS = ("public", "fund", "special", "other")

DEPARTMENT_MONEY = (
    *(
        f"income_{n}_{s}"
        for n in ("public", "fund", "special", "other")
        for s in ("initial", "full", "executed")
    ),
    *(
        f"{n}_{s}"
        for n in ("basic_personnel", "basic_public", "project")
        for s in ("budget", "final")
    ),
    *(
        f"{n}_{s}"
        for n in (
            "abroad",
            "car_purchase",
            "car_running",
            "reception",
            "office",
            "utilities_travel",
            "meeting_training",
        )
        for s in ("prior_final", "budget", "final")
    ),
    "operating_budget",
    "operating_final",
    "procurement_budget",
    "procurement_actual",
    "carryover_balance",
)


class DepartmentBudget(models.Model):
    """Department-level (部门整体) figures of one year: the inputs of the 部门整体支出绩效自评表,
    the 基础数据表 and the computed common indicators."""

    year = models.ForeignKey(
        FiscalYear, verbose_name="年度", on_delete=models.PROTECT, related_name="department_budgets"
    )
    department = models.ForeignKey(
        Department, verbose_name="单位", on_delete=models.PROTECT, related_name="budgets"
    )

    # 收入 by nature (按收入性质分)
    income_public_initial = _optional_money("一般公共预算·年初预算数")
    income_public_full = _optional_money("一般公共预算·全年预算数")
    income_public_executed = _optional_money("一般公共预算·全年执行数")
    income_fund_initial = _optional_money("政府性基金·年初预算数")
    income_fund_full = _optional_money("政府性基金·全年预算数")
    income_fund_executed = _optional_money("政府性基金·全年执行数")
    income_special_initial = _optional_money("纳入专户管理的非税收入·年初预算数")
    income_special_full = _optional_money("纳入专户管理的非税收入·全年预算数")
    income_special_executed = _optional_money("纳入专户管理的非税收入·全年执行数")
    income_other_initial = _optional_money("其他资金·年初预算数")
    income_other_full = _optional_money("其他资金·全年预算数")
    income_other_executed = _optional_money("其他资金·全年执行数")

    # 无此项收入: the department has no income of this nature (its figures stay empty and
    # count as 0 in the totals), told apart from a figure not yet given (empty: 无数据).
    income_public_absent = models.BooleanField("一般公共预算·无此项收入", default=False)
    income_fund_absent = models.BooleanField("政府性基金·无此项收入", default=False)
    income_special_absent = models.BooleanField("纳入专户管理的非税收入·无此项收入", default=False)
    income_other_absent = models.BooleanField("其他资金·无此项收入", default=False)

    # 支出 by nature (按支出性质分)
    basic_personnel_budget = _optional_money("基本支出·人员经费·预算数")
    basic_personnel_final = _optional_money("基本支出·人员经费·决算数")
    basic_public_budget = _optional_money("基本支出·公用经费·预算数")
    basic_public_final = _optional_money("基本支出·公用经费·决算数")
    project_budget = _optional_money("项目支出·预算数")
    project_final = _optional_money("项目支出·决算数")

    staff_quota = models.PositiveIntegerField("编制数", null=True, blank=True)
    staff_actual = models.PositiveIntegerField("实有在职人数", null=True, blank=True)

    # 三公经费: prior-year final, this-year budget, this-year final
    abroad_prior_final = _optional_money("因公出国(境)费·上年决算数")
    abroad_budget = _optional_money("因公出国(境)费·本年预算数")
    abroad_final = _optional_money("因公出国(境)费·本年决算数")
    car_purchase_prior_final = _optional_money("公务用车购置费·上年决算数")
    car_purchase_budget = _optional_money("公务用车购置费·本年预算数")
    car_purchase_final = _optional_money("公务用车购置费·本年决算数")
    car_running_prior_final = _optional_money("公务用车运行维护费·上年决算数")
    car_running_budget = _optional_money("公务用车运行维护费·本年预算数")
    car_running_final = _optional_money("公务用车运行维护费·本年决算数")
    reception_prior_final = _optional_money("公务接待费·上年决算数")
    reception_budget = _optional_money("公务接待费·本年预算数")
    reception_final = _optional_money("公务接待费·本年决算数")

    # 公用经费 breakdown (基础数据表)
    office_prior_final = _optional_money("办公经费·上年决算数")
    office_budget = _optional_money("办公经费·本年预算数")
    office_final = _optional_money("办公经费·本年决算数")
    utilities_travel_prior_final = _optional_money("水费、电费、差旅费·上年决算数")
    utilities_travel_budget = _optional_money("水费、电费、差旅费·本年预算数")
    utilities_travel_final = _optional_money("水费、电费、差旅费·本年决算数")
    meeting_training_prior_final = _optional_money("会议费、培训费·上年决算数")
    meeting_training_budget = _optional_money("会议费、培训费·本年预算数")
    meeting_training_final = _optional_money("会议费、培训费·本年决算数")

    operating_budget = _optional_money("机关运行经费·预算数")
    operating_final = _optional_money("机关运行经费·决算数")
    procurement_budget = _optional_money("政府采购·预算数")
    procurement_actual = _optional_money("政府采购·实际采购数")
    carryover_balance = _optional_money("结转结余")

    class Meta:
        verbose_name = "部门整体预算数据"
        verbose_name_plural = "部门整体预算数据"
        ordering = ["year", "department__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "department"], name="unique_department_budget_per_year"
            ),
            # No figure of the 部门整体 data is negative (DOMAIN.md: amounts, head counts; the
            # rates that may fall are computed, not stored), as the import has always said.
            models.CheckConstraint(
                condition=numbers.in_column(*DEPARTMENT_MONEY, max_digits=16, decimal_places=4),
                name="department_budget_money_in_column",
                violation_error_message="部门整体预算数据的金额须在0至999999999999.9999万元之间",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"income_{n}_absent": False})
                    | Q(
                        **{f"income_{n}_{s}__isnull": True for s in ("initial", "full", "executed")}
                    ),
                    name=f"department_budget_{n}_absent_is_empty",
                    violation_error_message="标为“无此项收入”的收入不能再填写金额",
                )
                for n in INCOME_NATURE_KEYS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.department}"

    def income_absent(self, nature: str) -> bool:
        return bool(getattr(self, f"income_{nature}_absent", False))

    def income(self, nature: str, stage: str) -> Decimal | None:
        """One income figure: 0 where the department has no such income (无此项收入), None
        where it is not given (无数据)."""
        if self.income_absent(nature):
            return Decimal("0")
        return getattr(self, f"income_{nature}_{stage}")

    def income_total(self, stage: str) -> Decimal | None:
        """The stage's total over the four income natures, only when every nature is known
        (a figure, or 无此项收入): a missing figure is never taken as 0."""
        parts = [self.income(nature, stage) for nature in INCOME_NATURE_KEYS]
        if any(part is None for part in parts):
            return None
        return sum(parts, Decimal("0"))

    def missing_income(self, stage: str) -> list[str]:
        """The labels of the income figures of a stage that are not given."""
        return [
            str(self._meta.get_field(f"income_{nature}_{stage}").verbose_name)
            for nature in INCOME_NATURE_KEYS
            if self.income(nature, stage) is None
        ]

    @classmethod
    def money_fields(cls) -> list[str]:
        return [f.name for f in cls._meta.get_fields() if isinstance(f, models.DecimalField)]


INCOME_STAGE_KEYS = ("initial", "full", "executed")


def income_label(nature: str) -> str:
    """一般公共预算, 政府性基金, … (the verbose name before its ·)."""
    field = DepartmentBudget._meta.get_field(f"income_{nature}_absent")
    return str(field.verbose_name).split("·")[0]


def settle_income_absence(values: dict, budget: DepartmentBudget | None) -> dict[str, str]:
    """Apply the 无此项收入 rule to `values` (field → value about to be set on `budget`; the
    page gives every field, an import only its non-blank cells), in place; returns the
    problems by field. A nature marked 无此项收入 holds no figure: its figures are emptied, and
    a figure other than 0 given with the mark is refused. A figure given for a nature without
    the mark (an import leaving the mark's column blank) means the income exists: it goes."""
    problems: dict[str, str] = {}
    for nature in INCOME_NATURE_KEYS:
        flag = f"income_{nature}_absent"
        figures = [f"income_{nature}_{stage}" for stage in INCOME_STAGE_KEYS]
        # 0 agrees with 无此项收入 (a form shows the zeros an import left); any other figure not
        given = [name for name in figures if values.get(name)]
        stored = budget is not None and budget.income_absent(nature)
        if values.get(flag) is True and given:
            label = income_label(nature)
            problems[flag] = f"{label}已标为“无此项收入”，不能同时填写{label}的金额"
        elif given and flag not in values and stored:
            values[flag] = False  # a figure given means the income exists
        elif values.get(flag, stored):
            values.update(dict.fromkeys(figures))
    return problems
