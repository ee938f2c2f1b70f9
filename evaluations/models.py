"""What was promised and what was achieved: the indicator classification, target sheets with their
三级 indicators, self-evaluations with their indicator results.

A target sheet (绩效目标) and a self-evaluation (绩效自评) belong either to a project or to a
department-year (部门整体, project empty). Both go through the same workflow states.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from budgets.models import Department, FiscalYear, Project
from core import numbers

from . import scoring

# A line's 分值 is at most 100 (the whole table is 100): the grid, the import, the admin and a
# database check constraint all say so.
MAX_WEIGHT = Decimal("100")


class IndicatorCategory(models.Model):
    """一级/二级指标: a fixed classification per year, seeded with the standard tree."""

    year = models.ForeignKey(
        FiscalYear,
        verbose_name="年度",
        on_delete=models.CASCADE,
        related_name="indicator_categories",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="一级指标",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    name = models.CharField("名称", max_length=50)
    weight = models.DecimalField(
        "默认分值（一级）", max_digits=5, decimal_places=2, null=True, blank=True
    )
    order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "指标分类"
        verbose_name_plural = "指标分类"
        ordering = ["year", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "name"], condition=Q(parent__isnull=True), name="unique_level1_name"
            ),
            models.UniqueConstraint(fields=["parent", "name"], name="unique_level2_name"),
            models.CheckConstraint(
                condition=Q(weight__isnull=True) | Q(weight__gte=0),
                name="category_weight_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | Q(weight__isnull=True),
                name="only_level1_has_weight",
            ),
        ]

    def __str__(self) -> str:
        return self.name if self.parent_id is None else f"{self.parent.name} / {self.name}"

    @property
    def level(self) -> int:
        return 1 if self.parent_id is None else 2


class Grade(models.TextChoices):
    """评价等级 of a self-evaluation (value and label are the same word); the year's policy sets
    the thresholds (FiscalYear.grade_*)."""

    EXCELLENT = "优", "优"
    GOOD = "良", "良"
    PASS = "中", "中"
    FAIL = "差", "差"


class FormState(models.TextChoices):
    DRAFT = "draft", "草稿"
    PENDING_HEAD = "pending_head", "待负责人确认"
    PENDING_SUPERVISOR = "pending_super", "待主管部门审核"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已审核"


class WorkflowForm(models.Model):
    """Fields shared by both kinds of form: owner, state, optimistic-lock version."""

    year = models.ForeignKey(
        FiscalYear, verbose_name="年度", on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name="单位", on_delete=models.PROTECT, related_name="+"
    )
    project = models.OneToOneField(
        Project,
        verbose_name="项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        "状态", max_length=16, choices=FormState.choices, default=FormState.DRAFT, db_index=True
    )
    version = models.PositiveIntegerField("版本", default=1)
    review_comment = models.TextField("审核意见", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)
    # set when the 主管部门 passes the form on to finance, cleared by the next submission: from
    # then on the unit may no longer 撤回 it (someone above has acted)
    supervisor_approved_at = models.DateTimeField("主管部门审核时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # 填表人 of the standard tables: whoever last submitted the form, else last saved it (a
    # unit's user; set by the save and submit services, never by a reviewer's action)
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填表人",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def is_department_wide(self) -> bool:
        return self.project_id is None

    @property
    def title(self) -> str:
        return form_title(self.project.name if self.project_id else None, self.department.name)


def form_title(project_name: str | None, department_name: str) -> str:
    """A form's title: its project's name, or its department's for a 部门整体 form."""
    return project_name or f"{department_name}（部门整体）"


class TargetSheet(WorkflowForm):
    """绩效目标: the 年度总体目标 and the indicator grid of a project or a department-year."""

    project = models.OneToOneField(
        Project,
        verbose_name="项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="target_sheet",
    )
    overall_goal = models.TextField("年度总体目标", blank=True)

    class Meta:
        verbose_name = "绩效目标"
        verbose_name_plural = "绩效目标"
        constraints = [
            models.UniqueConstraint(
                fields=["year", "department"],
                condition=Q(project__isnull=True),
                name="one_department_target_sheet_per_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year.year} {self.title} 绩效目标"


class LibraryIndicator(models.Model):
    """指标库: a 三级指标 finance offers for reuse, across years. Its `code` is its identity: a
    target line taken from it keeps the link (`Indicator.library`), so the same indicator can be
    followed from year to year. 一级/二级 are names, not a year's categories (the library spans
    years): a line taken from it gets the year's category of the same names."""

    COMPARATOR_CHOICES = [(c, c) for c in scoring.COMPARATORS]

    code = models.CharField("指标编码", max_length=32, unique=True)
    level1 = models.CharField("一级指标", max_length=50)
    level2 = models.CharField("二级指标", max_length=50)
    domain = models.CharField("行业/领域", max_length=50, blank=True, db_index=True)
    name = models.CharField("三级指标", max_length=200)
    comparator = models.CharField("指标性质", max_length=4, choices=COMPARATOR_CHOICES)
    typical_value = models.CharField("典型指标值", max_length=200, blank=True)
    unit = models.CharField("计量单位", max_length=20, blank=True)
    explanation = models.TextField("指标解释", blank=True)
    scoring_rule = models.TextField("评（扣）分标准", blank=True)
    is_active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "指标库"
        verbose_name_plural = "指标库"
        ordering = ["level1", "level2", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(comparator__in=scoring.COMPARATORS), name="library_comparator_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Indicator(models.Model):
    """三级指标: one target line. The original target is never overwritten; an approved adjustment
    is kept beside it."""

    class Basis(models.TextChoices):
        PLAN = "计划标准", "计划标准"
        INDUSTRY = "行业标准", "行业标准"
        HISTORY = "历史标准", "历史标准"
        BUDGET = "预算支出标准", "预算支出标准"
        OTHER = "其他标准", "其他标准"

    COMPARATOR_CHOICES = [(c, c) for c in scoring.COMPARATORS]

    sheet = models.ForeignKey(
        TargetSheet, verbose_name="绩效目标", on_delete=models.CASCADE, related_name="indicators"
    )
    category = models.ForeignKey(
        IndicatorCategory,
        verbose_name="二级指标",
        on_delete=models.PROTECT,
        related_name="indicators",
    )
    name = models.CharField("三级指标", max_length=200)
    comparator = models.CharField("指标性质", max_length=4, choices=COMPARATOR_CHOICES)
    target_value = models.CharField("年度指标值", max_length=200)
    unit = models.CharField("计量单位", max_length=20, blank=True)
    weight = models.DecimalField("分值", max_digits=5, decimal_places=2)
    basis = models.CharField(
        "指标值设定依据", max_length=10, choices=Basis.choices, default=Basis.PLAN
    )
    explanation = models.TextField("指标解释", blank=True)
    scoring_rule = models.TextField("评（扣）分标准", blank=True)
    adjusted_target_value = models.CharField("调整后指标值", max_length=200, blank=True)
    adjustment_reason = models.TextField("调整原因", blank=True)
    review_comment = models.TextField("审核意见（本行）", blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    # The line of last year's sheet this one was carried from (open_year): the grid shows its
    # 指标值 and 实际完成值 beside this one.
    previous = models.ForeignKey(
        "self",
        verbose_name="上年指标",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # the 指标库 entry the line was taken from: the same indicator in other years
    library = models.ForeignKey(
        LibraryIndicator,
        verbose_name="指标库指标",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="indicators",
    )

    class Meta:
        verbose_name = "三级指标"
        verbose_name_plural = "三级指标"
        ordering = ["sheet", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0), name="indicator_weight_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(weight__lte=MAX_WEIGHT),
                name="indicator_weight_max_100",
                violation_error_message="分值须在0至100之间",
            ),
            models.CheckConstraint(
                condition=Q(comparator__in=scoring.COMPARATORS), name="indicator_comparator_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_qualitative(self) -> bool:
        return self.comparator == scoring.QUALITATIVE

    @property
    def effective_target(self) -> str:
        return self.adjusted_target_value or self.target_value

    @property
    def previous_result(self) -> "IndicatorResult | None":
        """Last year's result of the line this one was carried from (loaded with it by
        selectors.indicators_of), None when there is none."""
        if self.previous_id is None:
            return None
        try:
            return self.previous.result
        except IndicatorResult.DoesNotExist:
            return None

    @property
    def target_number(self) -> Decimal | None:
        return None if self.is_qualitative else scoring.parse_number(self.effective_target)


class SelfEvaluation(WorkflowForm):
    """绩效自评 of a project or a department-year. Totals and grade are stored when results are
    recorded so that lists and summaries need no recomputation."""

    project = models.OneToOneField(
        Project,
        verbose_name="项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="self_evaluation",
    )
    actual_text = models.TextField("实际完成情况", blank=True)
    problems = models.TextField("发现的问题及原因", blank=True)
    measures = models.TextField("下一步改进措施", blank=True)
    execution_reason = models.TextField("预算执行偏差原因", blank=True)
    deadline_extension = models.DateField("延期截止日期", null=True, blank=True)

    execution_rate = models.DecimalField(
        "执行率", max_digits=9, decimal_places=6, null=True, blank=True
    )
    execution_score = models.DecimalField(
        "执行率得分", max_digits=6, decimal_places=2, null=True, blank=True
    )
    total_score = models.DecimalField(
        "自评总分", max_digits=6, decimal_places=2, null=True, blank=True
    )
    grade = models.CharField("评价等级", max_length=4, blank=True)
    review_total_score = models.DecimalField(
        "审核总分", max_digits=6, decimal_places=2, null=True, blank=True
    )
    review_grade = models.CharField("审核等级", max_length=4, blank=True)

    # What a source table states (an uploaded offline table, a published report), checked against
    # the computed figures by evaluations.consistency; empty when nothing was stated.
    stated_execution_rate = models.DecimalField(
        "原表执行率", max_digits=9, decimal_places=6, null=True, blank=True
    )
    stated_total_score = models.DecimalField(
        "原表总分", max_digits=6, decimal_places=2, null=True, blank=True
    )

    # Consistency flags (evaluations.consistency), stored with the totals so that lists show them
    # without recomputing: [{"code", "message", "line"}], "line" an IndicatorResult id or None.
    flags = models.JSONField("一致性提示", default=list, blank=True, editable=False)

    snapshot = models.JSONField("审核时快照", null=True, blank=True, editable=False)
    snapshot_hash = models.CharField("快照校验码", max_length=16, blank=True, editable=False)

    class Meta:
        verbose_name = "绩效自评"
        verbose_name_plural = "绩效自评"
        constraints = [
            models.UniqueConstraint(
                fields=["year", "department"],
                condition=Q(project__isnull=True),
                name="one_department_evaluation_per_year",
            ),
            models.CheckConstraint(
                condition=Q(total_score__isnull=True) | Q(total_score__gte=0),
                name="evaluation_total_non_negative",
            ),
            models.CheckConstraint(
                condition=numbers.in_column(
                    "execution_rate", "stated_execution_rate", max_digits=9, decimal_places=6
                ),
                name="evaluation_rates_in_column",
                violation_error_message="执行率须在0至999.999999（99999.9999%）之间",
            ),
            models.CheckConstraint(
                condition=numbers.in_column(
                    "execution_score",
                    "total_score",
                    "review_total_score",
                    "stated_total_score",
                    max_digits=6,
                    decimal_places=2,
                ),
                name="evaluation_scores_in_column",
                violation_error_message="总分须在0至9999.99之间",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year.year} {self.title} 绩效自评"


class IndicatorResult(models.Model):
    """The year-end result of one indicator: actual value, scores and deviation reason."""

    evaluation = models.ForeignKey(
        SelfEvaluation, verbose_name="绩效自评", on_delete=models.CASCADE, related_name="results"
    )
    indicator = models.OneToOneField(
        Indicator, verbose_name="三级指标", on_delete=models.CASCADE, related_name="result"
    )
    actual_value = models.CharField("实际完成值", max_length=200, blank=True)
    level = models.CharField(
        "完成等级（定性）", max_length=16, blank=True, choices=list(scoring.LEVEL_LABELS.items())
    )
    suggested_score = models.DecimalField(
        "建议得分", max_digits=5, decimal_places=2, null=True, blank=True
    )
    score = models.DecimalField("得分", max_digits=5, decimal_places=2, null=True, blank=True)
    deviation_reason = models.TextField("偏差原因分析及改进措施", blank=True)
    review_score = models.DecimalField(
        "审核得分", max_digits=5, decimal_places=2, null=True, blank=True
    )
    review_comment = models.TextField("审核意见", blank=True)

    class Meta:
        verbose_name = "指标完成情况"
        verbose_name_plural = "指标完成情况"
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0), name="result_score_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(review_score__isnull=True) | Q(review_score__gte=0),
                name="result_review_score_non_negative",
            ),
            # ≤ the line's weight is the application's rule (the weight is on another table);
            # the database states what it can: no score of a line exceeds 100.
            models.CheckConstraint(
                condition=numbers.in_column(
                    "score",
                    "suggested_score",
                    "review_score",
                    max_digits=5,
                    decimal_places=2,
                    maximum=MAX_WEIGHT,
                ),
                name="result_scores_in_range",
                violation_error_message="得分须在0至100之间",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name}: {self.actual_value}"


class Evidence(models.Model):
    """A supporting file attached to one indicator result (size-limited on upload)."""

    result = models.ForeignKey(
        IndicatorResult,
        verbose_name="指标完成情况",
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField("文件", upload_to="evidence/%Y/")
    original_name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"

    def __str__(self) -> str:
        return self.original_name


class TargetAdjustment(models.Model):
    """目标调整: a request to change an approved indicator's target, decided by finance. The
    original target is never overwritten; an approved value goes to adjusted_target_value."""

    class State(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已同意"
        REJECTED = "rejected", "已驳回"

    indicator = models.ForeignKey(
        Indicator, verbose_name="三级指标", on_delete=models.CASCADE, related_name="adjustments"
    )
    old_value = models.CharField("原指标值", max_length=200)
    new_value = models.CharField("调整后指标值", max_length=200)
    reason = models.TextField("调整原因")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_comment = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = "目标调整"
        verbose_name_plural = "目标调整"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator"],
                condition=Q(state="pending"),
                name="one_pending_adjustment_per_indicator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name}: {self.old_value} → {self.new_value}"


class LineComment(models.Model):
    """A 本行审核意见 as given in one review round (退回 or 审核通过), kept for good: the line's
    `review_comment` holds only the current round's (cleared on resubmission); these let both the
    unit and finance see every earlier round's comments under the line."""

    class Kind(models.TextChoices):
        TARGETS = "targets", "绩效目标"
        EVALUATION = "evaluation", "绩效自评"

    class Level(models.TextChoices):
        SUPERVISOR = "supervisor", "主管部门"
        FINANCE = "finance", "财政"

    kind = models.CharField("表单", max_length=10, choices=Kind.choices)
    indicator = models.ForeignKey(
        Indicator, verbose_name="三级指标", on_delete=models.CASCADE, related_name="line_comments"
    )
    round = models.PositiveSmallIntegerField("审核轮次")
    # which level of the review chain gave it (comments before the chain existed are finance's)
    level = models.CharField(
        "审核层级", max_length=10, choices=Level.choices, default=Level.FINANCE
    )
    action = models.CharField("操作", max_length=16)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField("本行审核意见")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "本行审核意见（历次）"
        verbose_name_plural = "本行审核意见（历次）"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["indicator", "kind"])]

    def __str__(self) -> str:
        return f"第{self.round}轮 {self.text[:30]}"


class BulkReviewJob(models.Model):
    """批量审核: one 审核通过 or 退回 over many forms (services.bulk_review_*). Each form is
    checked and audited on its own through the single action's service; `results` says, form by
    form, what passed and what was refused and why. Small selections run in the request, large
    ones in Celery with `done` of `total` as progress."""

    class Action(models.TextChoices):
        APPROVE = "approve", "审核通过"
        RETURN = "return", "退回"

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "处理中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    year = models.ForeignKey(
        FiscalYear, verbose_name="年度", on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField("操作", max_length=10, choices=Action.choices)
    reason = models.TextField("意见或退回原因", blank=True)
    # [kind, id, version]: the version the reviewer saw (a ticked row) or read when the filter
    # was applied ("全部筛选结果"); a form whose version differs is refused as 已被修改
    items = models.JSONField("所选表单", default=list)
    # "全部筛选结果": when the list was shown; a form (re)submitted after it is refused
    as_of = models.DateTimeField("列表显示时间", null=True, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField("表单数", default=0)
    done = models.PositiveIntegerField("已处理", default=0)
    # one {kind, id, title, department, ok, message} per form processed, in the items' order
    results = models.JSONField("结果", default=list)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    error = models.TextField("失败原因", blank=True)

    class Meta:
        verbose_name = "批量审核"
        verbose_name_plural = "批量审核"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.total} 张表"

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 100

    @property
    def remaining(self) -> int:
        return self.total - self.done

    @property
    def passed(self) -> list[dict]:
        return [r for r in self.results if r["ok"]]

    @property
    def refused(self) -> list[dict]:
        return [r for r in self.results if not r["ok"]]


# ---------------------------------------------------------------------------------------------
# 绩效运行监控 (“双监控”): mid-year monitoring of spending and targets. Finance opens a round
# with an as-of date (截至日期) and a 报送截止日期; each project with approved targets (and
# 部门整体) gets a 绩效目标执行监控表 (MonitoringSheet) with one MonitoringLine per indicator of
# its approved targets.
# Traffic lights are computed by evaluations.lights (pure) and stored on the rows for lists.


class Light(models.TextChoices):
    GREEN = "green", "绿灯"
    YELLOW = "yellow", "黄灯"
    RED = "red", "红灯"


class Likelihood(models.TextChoices):
    """完成目标可能性."""

    CERTAIN = "certain", "确定能完成"
    POSSIBLE = "possible", "有可能完成"
    IMPOSSIBLE = "impossible", "完全不可能完成"


class DeviationCategory(models.TextChoices):
    """偏差原因 by category, as in the finance ministry's exchange table."""

    FUNDING = "funding", "经费保障"
    RULES = "rules", "制度保障"
    STAFF = "staff", "人员保障"
    EQUIPMENT = "equipment", "硬件条件保障"
    OTHER = "other", "其他"


class RectificationState(models.TextChoices):
    """需整改 on a monitoring form or line: finance orders, the unit answers, finance closes."""

    NONE = "", "无需整改"
    REQUIRED = "required", "待整改"
    ANSWERED = "answered", "已答复整改结果"
    CLOSED = "closed", "整改已关闭"


class MonitoringRound(models.Model):
    """A monitoring round (监控批次) of a year: one or several, each with its as-of date."""

    year = models.ForeignKey(
        FiscalYear, verbose_name="年度", on_delete=models.PROTECT, related_name="monitoring_rounds"
    )
    name = models.CharField("批次名称", max_length=100)
    as_of = models.DateField("截至日期")
    deadline = models.DateField("报送截止日期")
    is_open = models.BooleanField("填报已开启", default=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="开启人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    opened_at = models.DateTimeField("开启时间", auto_now_add=True)

    class Meta:
        verbose_name = "绩效监控批次"
        verbose_name_plural = "绩效监控批次"
        ordering = ["year", "as_of", "id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "as_of"], name="one_monitoring_round_per_date"),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("as_of")),
                name="monitoring_deadline_after_as_of",
                violation_error_message="报送截止日期不能早于截至日期",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def months(self) -> int:
        """N of “1–N月”: the months covered up to the as-of date."""
        return self.as_of.month


class MonitoringSheet(WorkflowForm):
    """绩效目标执行监控表 of a project (or 部门整体, project empty) in one round."""

    round = models.ForeignKey(
        MonitoringRound, verbose_name="监控批次", on_delete=models.PROTECT, related_name="sheets"
    )
    project = models.ForeignKey(
        Project,
        verbose_name="项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="monitoring_sheets",
    )
    # 全年预算数 as of the round (copied from the project's funds / the department's budget when
    # the sheet is created, so that a later budget change does not rewrite a submitted report)
    annual_budget = models.DecimalField(
        "全年预算数", max_digits=16, decimal_places=4, null=True, blank=True
    )
    executed_to_date = models.DecimalField(
        "1–N月执行数", max_digits=16, decimal_places=4, null=True, blank=True
    )
    predicted_execution = models.DecimalField(
        "全年预计执行数", max_digits=16, decimal_places=4, null=True, blank=True
    )
    execution_reason = models.TextField("预算执行偏差原因", blank=True)
    light = models.CharField("监控结果", max_length=8, choices=Light.choices, blank=True)
    funds_light = models.CharField("预算执行灯", max_length=8, choices=Light.choices, blank=True)
    rectification_state = models.CharField(
        "整改状态", max_length=10, choices=RectificationState.choices, blank=True, default=""
    )
    rectification_request = models.TextField("整改要求和建议", blank=True)
    rectification_result = models.TextField("整改结果", blank=True)

    class Meta:
        verbose_name = "绩效目标执行监控表"
        verbose_name_plural = "绩效目标执行监控表"
        constraints = [
            models.UniqueConstraint(
                fields=["round", "project"],
                condition=Q(project__isnull=False),
                name="one_monitoring_sheet_per_project_round",
            ),
            models.UniqueConstraint(
                fields=["round", "department"],
                condition=Q(project__isnull=True),
                name="one_department_monitoring_sheet_per_round",
            ),
            models.CheckConstraint(
                condition=numbers.in_column(
                    "annual_budget",
                    "executed_to_date",
                    "predicted_execution",
                    max_digits=16,
                    decimal_places=4,
                ),
                name="monitoring_amounts_in_column",
                violation_error_message="金额须在0至999999999999.9999万元之间",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.title} 监控表"


class MonitoringLine(models.Model):
    """One indicator of the approved targets in a monitoring sheet."""

    sheet = models.ForeignKey(
        MonitoringSheet, verbose_name="监控表", on_delete=models.CASCADE, related_name="lines"
    )
    indicator = models.ForeignKey(
        Indicator,
        verbose_name="三级指标",
        on_delete=models.CASCADE,
        related_name="monitoring_lines",
    )
    actual_to_date = models.CharField("1–N月实际完成值", max_length=200, blank=True)
    predicted_value = models.CharField("全年预计完成值", max_length=200, blank=True)
    likelihood = models.CharField(
        "完成目标可能性", max_length=10, choices=Likelihood.choices, blank=True
    )
    deviation_category = models.CharField(
        "偏差原因类别", max_length=10, choices=DeviationCategory.choices, blank=True
    )
    deviation_reason = models.TextField("偏差原因说明", blank=True)
    measures = models.TextField("完成目标的措施", blank=True)
    light = models.CharField("监控结果", max_length=8, choices=Light.choices, blank=True)
    review_comment = models.TextField("审核意见（本行）", blank=True)
    rectification_state = models.CharField(
        "整改状态", max_length=10, choices=RectificationState.choices, blank=True, default=""
    )
    rectification_request = models.TextField("整改要求和建议", blank=True)
    rectification_result = models.TextField("整改结果", blank=True)

    class Meta:
        verbose_name = "监控指标"
        verbose_name_plural = "监控指标"
        ordering = ["sheet", "indicator__order", "indicator_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sheet", "indicator"], name="one_monitoring_line_per_indicator"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name}: {self.actual_to_date}"


# ---------------------------------------------------------------------------------------------
# 整改通知 (rectification notices): finance orders a unit to rectify a self-evaluation graded 中 or
# 差 (services.rectifications.notice_grade) or a red monitoring line; the unit answers with text
# and evidence files; finance closes the notice or sends it back for more (workflow.NOTICE_*).


class NoticeState(models.TextChoices):
    ISSUED = "issued", "待整改"
    RETURNED = "sent_back", "退回重新整改"
    ANSWERED = "answered", "已答复待确认"
    CLOSED = "closed", "已关闭"


class RectificationNotice(models.Model):
    """整改通知 of one subject: a self-evaluation or a red monitoring line (exactly one), one
    notice per subject. The answer is the unit's latest; earlier answers and every send-back
    reason are in the audit trail (the notice page's 操作记录)."""

    year = models.ForeignKey(
        FiscalYear, verbose_name="年度", on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name="单位", on_delete=models.PROTECT, related_name="+"
    )
    evaluation = models.OneToOneField(
        SelfEvaluation,
        verbose_name="绩效自评",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectification",
    )
    monitoring_line = models.OneToOneField(
        MonitoringLine,
        verbose_name="监控指标",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectification",
    )
    # what the subject was when the notice was issued (中/差, or 红灯), kept: a later review may
    # change the form's grade, not why the notice was issued
    basis = models.CharField("下达依据", max_length=20)
    title = models.CharField("整改对象", max_length=300)
    requirement = models.TextField("整改要求")
    due_date = models.DateField("整改期限")
    state = models.CharField(
        "状态", max_length=10, choices=NoticeState.choices, default=NoticeState.ISSUED
    )
    version = models.PositiveIntegerField("版本", default=1)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="下达人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField("下达时间", auto_now_add=True)
    answer = models.TextField("整改情况", blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="答复人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answers = models.PositiveSmallIntegerField("答复次数", default=0)
    return_reason = models.TextField("退回原因", blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="关闭人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    close_comment = models.TextField("关闭意见", blank=True)

    class Meta:
        verbose_name = "整改通知"
        verbose_name_plural = "整改通知"
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["year", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(evaluation__isnull=False, monitoring_line__isnull=True)
                | Q(evaluation__isnull=True, monitoring_line__isnull=False),
                name="notice_has_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year.year} {self.title} 整改通知"

    @property
    def kind_label(self) -> str:
        return "绩效自评" if self.evaluation_id else "运行监控"


class NoticeEvidence(models.Model):
    """A supporting file of the unit's answer to a 整改通知 (checked like Evidence)."""

    notice = models.ForeignKey(
        RectificationNotice,
        verbose_name="整改通知",
        on_delete=models.CASCADE,
        related_name="files",
    )
    file = models.FileField("文件", upload_to="rectification/%Y/")
    original_name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "整改佐证材料"
        verbose_name_plural = "整改佐证材料"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class SpotCheck(models.Model):
    """抽查复核: one seeded draw of a year's approved self-evaluations (evaluations.sampling).
    `population` keeps what the draw chose from (plain values), so the same seed over it gives the
    same sample again (`sampling.draw`), whatever happened to the forms since."""

    year = models.ForeignKey(
        FiscalYear, verbose_name="年度", on_delete=models.PROTECT, related_name="spot_checks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="抽取人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("抽取时间", auto_now_add=True)
    seed = models.PositiveBigIntegerField("随机种子")
    percent = models.DecimalField("抽查比例（%）", max_digits=5, decimal_places=2)
    minimum = models.PositiveSmallIntegerField("每个单位至少抽查份数")
    low_execution = models.DecimalField("“优”但执行率低于", max_digits=4, decimal_places=3)
    # the departments the draw covered (the drawer's reviewed departments, or all for an admin)
    department_ids = models.JSONField("单位范围", default=list)
    # [{"id", "department", "flagged", "grade", "rate"}]: the candidates as the draw saw them
    population = models.JSONField("抽查总体", default=list)

    class Meta:
        verbose_name = "抽查复核"
        verbose_name_plural = "抽查复核"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.year.year}年度抽查（种子 {self.seed}）"


class SpotCheckItem(models.Model):
    """One sampled self-evaluation and its re-check (复核). The approved evaluation stays frozen:
    the 复核得分 live here, per line in `line_scores` ({IndicatorResult id: "score"})."""

    class Reason(models.TextChoices):
        RANDOM = "random", "随机"
        FLAGGED = "flagged", "一致性提示"
        EXCELLENT_LOW = "excellent_low", "优但执行率低"

    spot_check = models.ForeignKey(
        SpotCheck, verbose_name="抽查", on_delete=models.CASCADE, related_name="items"
    )
    # a form is re-checked once a year: a later draw chooses among the forms not yet sampled
    evaluation = models.OneToOneField(
        SelfEvaluation,
        verbose_name="绩效自评",
        on_delete=models.PROTECT,
        related_name="spot_check_item",
    )
    reasons = models.JSONField("抽中原因", default=list)
    execution_score = models.DecimalField(
        "复核执行率得分", max_digits=6, decimal_places=2, null=True, blank=True
    )
    line_scores = models.JSONField("复核得分（各指标）", default=dict, blank=True)
    conclusion = models.TextField("复核结论", blank=True)
    total_score = models.DecimalField(
        "复核总分", max_digits=6, decimal_places=2, null=True, blank=True
    )
    grade = models.CharField("复核等级", max_length=4, blank=True)
    rechecked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rechecked_at = models.DateTimeField("复核时间", null=True, blank=True)

    class Meta:
        verbose_name = "抽查复核表单"
        verbose_name_plural = "抽查复核表单"
        ordering = ["spot_check", "id"]
        constraints = [
            models.CheckConstraint(
                condition=numbers.in_column(
                    "execution_score", "total_score", max_digits=6, decimal_places=2
                ),
                name="spot_check_scores_in_column",
                violation_error_message="复核得分须在0至9999.99之间",
            ),
        ]

    def __str__(self) -> str:
        return f"复核 {self.evaluation_id}"

    @property
    def done(self) -> bool:
        return self.rechecked_at is not None

    @property
    def reason_labels(self) -> list[str]:
        return [self.Reason(r).label for r in self.reasons if r in self.Reason.values]

    @property
    def difference(self) -> Decimal | None:
        """复核分 − 自评分 (None until re-checked)."""
        if self.total_score is None or self.evaluation.total_score is None:
            return None
        return self.total_score - self.evaluation.total_score


class ResultSuggestion(models.Model):
    """结果应用: finance's own suggestion for an evaluated form, replacing the rule's
    (evaluations.application), always with a reason. No row: the rule's suggestion stands."""

    evaluation = models.OneToOneField(
        SelfEvaluation,
        verbose_name="绩效自评",
        on_delete=models.CASCADE,
        related_name="result_suggestion",
    )
    suggestion = models.CharField("调整后建议", max_length=16)
    rule_suggestion = models.CharField("规则建议（调整时）", max_length=16, blank=True)
    reason = models.TextField("调整理由")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="调整人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField("调整时间", auto_now=True)

    class Meta:
        verbose_name = "结果应用建议调整"
        verbose_name_plural = "结果应用建议调整"

    def __str__(self) -> str:
        return f"{self.evaluation_id}: {self.suggestion}"
