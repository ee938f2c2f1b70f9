from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from budgets.admin import NUMBER_RULE, AuditedAdmin
from budgets.models import FiscalYear

from . import rules, workflow
from .models import (
    Evidence,
    Indicator,
    IndicatorCategory,
    IndicatorResult,
    LibraryIndicator,
    MonitoringRound,
    MonitoringSheet,
    SelfEvaluation,
    TargetAdjustment,
    TargetSheet,
)
from .selectors import policy_for
from .services import (
    COMPUTED_EVALUATION_FIELDS,
    LIBRARY_FIELDS,
    POLICY_FIELDS,
    SPOT_CHECK_FIELDS,
    YEAR_FIELDS,
    YearOpeningRefused,
    evaluation_refresh,
    fiscal_year_create,
    fiscal_year_update,
    library_entry_save,
    library_problems,
    monitoring,
    year_open,
)


class FiscalYearAdminForm(forms.ModelForm):
    def _get_validation_exclusions(self):
        # Marking a year 当前年度 moves the mark from the old one (the service does it in one
        # transaction); checking "only one current year" on the form would refuse that instead.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("is_current")
        return exclusions

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # left blank: the year keeps its thresholds (a new year: the defaults)
        for name in ("monitoring_yellow_gap", "monitoring_red_gap"):
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        data = super().clean()
        for name in ("monitoring_yellow_gap", "monitoring_red_gap"):
            if name in self.fields and data.get(name) is None:
                kept = getattr(self.instance, name, None)
                data[name] = kept if kept is not None else FiscalYear._meta.get_field(name).default
        yellow, red = data.get("monitoring_yellow_gap"), data.get("monitoring_red_gap")
        if yellow is not None and red is not None and not (0 <= yellow < red <= 1):
            self.add_error(
                "monitoring_red_gap",
                "红灯差距须大于黄灯差距，且都在0至1之间（0.10 即落后10个百分点）",
            )
        return data


class YearOpeningForm(forms.Form):
    year = forms.IntegerField(
        label="新年度",
        min_value=2000,
        max_value=2099,
        error_messages={
            "required": "请填写新年度。",
            "invalid": "新年度须为四位数字年份，如 2027。",
            "min_value": "年度须在2000至2099之间。",
            "max_value": "年度须在2000至2099之间。",
        },
    )
    previous = forms.TypedChoiceField(
        label="从上一年度", coerce=int, error_messages={"required": "请选择上一年度。"}
    )

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["previous"].choices = [(y, f"{y}年度") for y in years]


@admin.register(FiscalYear)
class FiscalYearAdmin(AuditedAdmin):
    """Years are created and changed through the services, as everywhere else: a new year gets
    its 一级/二级 classification, a policy change recomputes the year's stored figures in the
    background (its progress in 重算状态)."""

    form = FiscalYearAdminForm
    list_display = [
        "year",
        "is_current",
        "target_deadline",
        "evaluation_open",
        "evaluation_deadline",
        "require_head_confirmation",
        "require_supervisor_review",
        "recompute_status",
    ]
    readonly_fields = ["recompute_status"]
    fieldsets = [
        (None, {"fields": ["year", "is_current"]}),
        ("目标申报", {"fields": ["target_deadline"]}),
        (
            "自评安排",
            {
                "fields": [
                    "evaluation_open",
                    "evaluation_deadline",
                    "require_head_confirmation",
                    "require_supervisor_review",
                ]
            },
        ),
        ("评分规则", {"fields": [*POLICY_FIELDS, "recompute_status"]}),
        ("绩效运行监控（红绿灯）", {"fields": ["monitoring_yellow_gap", "monitoring_red_gap"]}),
        ("抽查复核", {"fields": list(SPOT_CHECK_FIELDS)}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # a year's number is its identity: forms, projects and budgets hang on it
        return [*self.readonly_fields, "year"] if obj else self.readonly_fields

    @admin.display(description="重算状态")
    def recompute_status(self, obj: FiscalYear) -> str:
        if obj is None or obj.pk is None:
            return "—"
        if obj.recompute_pending:
            return "重算中（评分规则修改后，各自评的得分、等级与一致性提示正在后台重新计算）"
        if obj.recomputed_at:
            at = timezone.localtime(obj.recomputed_at).strftime("%Y-%m-%d %H:%M:%S")
            return f"完成（{at}）"
        return "—"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        values = {name: data[name] for name in YEAR_FIELDS if name in data}
        if not change:
            created = fiscal_year_create(actor=request.user, **values)
            obj.__dict__.update(created.__dict__)
            return
        before = obj.recompute_requested
        fiscal_year_update(fiscal_year=obj, actor=request.user, **values)
        if obj.recompute_requested != before:
            messages.info(
                request,
                f"{obj}的评分规则已修改：各自评的得分、等级与一致性提示正在后台重新计算，"
                "进度见“重算状态”。",
            )

    def save_related(self, request, form, formsets, change):
        """No inlines; the year's own row was written by the service."""

    change_list_template = "admin/evaluations/fiscalyear/change_list.html"

    def get_urls(self):
        opening = path(
            "open/",
            self.admin_site.admin_view(self.open_view),
            name="budgets_fiscalyear_open",
        )
        return [opening, *super().get_urls()]

    def open_view(self, request):
        """从上一年度开设新年度: 预览 (a dry run listing what would be copied), then 确认开设,
        both through evaluations.services.year_open."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        years = list(FiscalYear.objects.values_list("year", flat=True))  # newest first
        data = request.POST if request.method == "POST" else None
        initial = {"previous": years[0], "year": years[0] + 1} if years else {}
        form = YearOpeningForm(data, initial=initial, years=years)
        opening = None
        if data is not None and form.is_valid():
            year, previous = form.cleaned_data["year"], form.cleaned_data["previous"]
            confirm = request.POST.get("action") == "confirm"
            try:
                opening = year_open(
                    year=year, previous=previous, actor=request.user, dry_run=not confirm
                )
            except YearOpeningRefused as error:
                form.add_error(None, str(error))
            else:
                if confirm:
                    messages.success(request, opening.summary())
                    return redirect("admin:budgets_fiscalyear_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "从上一年度开设新年度",
            "form": form,
            "opening": opening,
        }
        return TemplateResponse(request, "admin/evaluations/fiscalyear/open_year.html", context)


@admin.register(IndicatorCategory)
class IndicatorCategoryAdmin(AuditedAdmin):
    list_display = ["name", "parent", "year", "weight", "order", "is_active"]
    list_filter = ["year", "is_active"]
    list_select_related = ["parent", "year"]


class LibraryIndicatorForm(forms.ModelForm):
    class Meta:
        model = LibraryIndicator
        fields = LIBRARY_FIELDS

    def clean(self):
        data = super().clean()
        if not self.errors:
            values = {name: getattr(self.instance, name) for name in LIBRARY_FIELDS}
            values.update((k, v) for k, v in data.items() if k in values)
            entry = LibraryIndicator(pk=self.instance.pk, **values)
            for field, problems in library_problems(entry).items():
                for problem in problems:
                    self.add_error(field if field in self.fields else None, problem)
        return data


@admin.register(LibraryIndicator)
class LibraryIndicatorAdmin(admin.ModelAdmin):
    """指标库, maintained by finance: every save goes through `library_entry_save` (the rules,
    one audit record). Entries are not deleted (target lines keep their link across years):
    取消“启用” takes one out of the grid's search."""

    form = LibraryIndicatorForm
    list_display = [
        "code",
        "level1",
        "level2",
        "domain",
        "name",
        "comparator",
        "typical_value",
        "unit",
        "is_active",
    ]
    list_filter = ["is_active", "domain", "level1", "level2"]
    search_fields = ["code", "name", "domain", "explanation"]
    fieldsets = [
        (None, {"fields": ["code", "is_active"]}),
        ("分类", {"fields": ["level1", "level2", "domain"]}),
        (
            "指标",
            {
                "fields": [
                    "name",
                    "comparator",
                    "typical_value",
                    "unit",
                    "explanation",
                    "scoring_rule",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []  # the code is the entry's identity across years

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        library_entry_save(entry=obj, actor=request.user)


def _locked(form) -> bool:
    return form is not None and form.state not in workflow.EDITABLE


class WorkflowFormAdmin(AuditedAdmin):
    """The admin may correct a form that is still with the unit (草稿, 已退回), but never creates
    one (a form starts from its project through the services: 开始填报, 开始自评, the import),
    never moves one through the workflow (state, version, the workflow's stamps and the approved
    snapshot are read-only here) nor edits or deletes one that is waiting for review or
    approved: 退回 and 重新打开 are the way back, for everyone. A form's year, unit and project are
    its identity and read-only once it exists."""

    readonly_fields = [
        "year",
        "department",
        "project",
        "state",
        "version",
        "submitted_at",
        "approved_at",
        "review_comment",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return not _locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _locked(obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:  # a page the unit opened before this edit can no longer overwrite it
            type(obj).objects.filter(pk=obj.pk).update(version=F("version") + 1)
            obj.version += 1


class LockedInline(admin.TabularInline):
    """Lines of a form are locked with it (`obj` is the form)."""

    formfield_overrides = NUMBER_RULE

    def has_add_permission(self, request, obj=None):
        return not _locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _locked(obj) and super().has_delete_permission(request, obj)


class IndicatorAdminForm(forms.ModelForm):
    """A target line meets the grid's rules (`rules.target_line_problems`), same messages."""

    def clean(self):
        data = super().clean()
        line = rules.TargetLine(
            name=data.get("name") or "",
            comparator=data.get("comparator") or "",
            target_value=data.get("target_value") or "",
            unit=data.get("unit") or "",
        )
        for field, problems in rules.target_line_problems(line).items():
            for problem in problems:
                if field not in self.errors:  # the field's own error says it first
                    self.add_error(field, problem)
        return data


class IndicatorInline(LockedInline):
    model = Indicator
    form = IndicatorAdminForm
    extra = 0
    fields = [
        "order",
        "category",
        "name",
        "comparator",
        "target_value",
        "unit",
        "weight",
        "basis",
        "adjusted_target_value",
    ]


@admin.register(TargetSheet)
class TargetSheetAdmin(WorkflowFormAdmin):
    list_display = ["__str__", "department", "state", "updated_at"]
    list_filter = ["year", "state"]
    search_fields = ["project__name", "project__code", "department__name"]
    list_select_related = ["year", "department", "project"]
    inlines = [IndicatorInline]


class ResultAdminForm(forms.ModelForm):
    """A line meets the form's rules for a draft (`rules.result_line_problems`, same messages);
    审核得分 and 建议得分 lie within 0…the weight, as on the form (the database can only state
    0…100: the weight is on another table)."""

    SCORES = (("review_score", "审核得分"), ("suggested_score", "建议得分"))

    def clean(self):
        data = super().clean()
        indicator = data.get("indicator") or getattr(self.instance, "indicator", None)
        if indicator is None:
            return data
        for name, label in self.SCORES:
            if problem := rules.score_refusal(data.get(name), indicator.weight, label):
                self.add_error(name, problem)
        line = rules.ResultLine(
            comparator=indicator.comparator,
            weight=indicator.weight,
            actual_value=data.get("actual_value") or "",
            unit=indicator.unit,
            level=data.get("level") or "",
            score=data.get("score"),
            deviation_reason=data.get("deviation_reason") or "",
        )
        policy = policy_for(indicator.sheet.year)
        for field, problems in rules.result_line_problems(line, policy, final=False).items():
            for problem in problems:
                if field not in self.errors:
                    self.add_error(field, problem)
        return data


class ResultInline(LockedInline):
    model = IndicatorResult
    form = ResultAdminForm
    extra = 0
    fields = [
        "indicator",
        "actual_value",
        "level",
        "suggested_score",
        "score",
        "deviation_reason",
        "review_score",
    ]
    raw_id_fields = ["indicator"]


@admin.register(SelfEvaluation)
class SelfEvaluationAdmin(WorkflowFormAdmin):
    list_display = ["__str__", "department", "state", "total_score", "grade", "review_total_score"]
    list_filter = ["year", "state", "grade"]
    search_fields = ["project__name", "project__code", "department__name"]
    list_select_related = ["year", "department", "project"]
    inlines = [ResultInline]
    # computed by the services from the lines and the funds (evaluation_refresh below); the
    # approved snapshot and 延期 are the workflow's (审核通过, the reviewer's 延期 on the form)
    readonly_fields = [
        *WorkflowFormAdmin.readonly_fields,
        "deadline_extension",
        *COMPUTED_EVALUATION_FIELDS,
        "snapshot_hash",
    ]

    def save_related(self, request, form, formsets, change):
        """Totals, grade and consistency flags follow what the admin changed (lines, the stated
        原表执行率 / 原表总分), as after a save on the form."""
        super().save_related(request, form, formsets, change)
        evaluation_refresh(form.instance)


@admin.register(Evidence)
class EvidenceAdmin(AuditedAdmin):
    list_display = ["original_name", "result", "size", "uploaded_by", "uploaded_at"]
    raw_id_fields = ["result"]

    def has_change_permission(self, request, obj=None):
        locked = obj is not None and _locked(obj.result.evaluation)
        return not locked and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        locked = obj is not None and _locked(obj.result.evaluation)
        return not locked and super().has_delete_permission(request, obj)


@admin.register(TargetAdjustment)
class TargetAdjustmentAdmin(AuditedAdmin):
    """Requests and decisions are the workflow's (目标调整 on the form, 同意 / 驳回 by finance,
    adjustment_request / adjustment_decide): shown here, never written."""

    list_display = ["indicator", "old_value", "new_value", "state", "requested_by", "requested_at"]
    list_filter = ["state"]
    list_select_related = ["indicator", "requested_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --------------------------------------------------------------------------------- 绩效运行监控


class MonitoringRoundAdminForm(forms.ModelForm):
    class Meta:
        model = MonitoringRound
        fields = ["year", "name", "as_of", "deadline", "is_open"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and data.get("year"):
            for field, messages_ in monitoring.round_problems(
                fiscal_year=data["year"],
                name=data.get("name", ""),
                as_of=data.get("as_of"),
                deadline=data.get("deadline"),
            ).items():
                for message in messages_:
                    self.add_error(field if field in self.fields else None, message)
        elif self.instance.pk and data.get("deadline") and data["deadline"] < self.instance.as_of:
            self.add_error("deadline", "报送截止日期不能早于截至日期")
        return data


@admin.register(MonitoringRound)
class MonitoringRoundAdmin(admin.ModelAdmin):
    """A round is opened, closed, reopened and 补充生成 through the monitoring services (the same
    as the 绩效运行监控 page): opening creates the sheets and tells the units; after that only
    填报已开启 and the 报送截止日期 may change here."""

    form = MonitoringRoundAdminForm
    list_display = ["name", "year", "as_of", "deadline", "is_open", "opened_at"]
    list_filter = ["year", "is_open"]
    actions = ["fill_sheets"]

    def get_readonly_fields(self, request, obj=None):
        return ["year", "name", "as_of"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            monitoring.monitoring_round_set_open(
                user=request.user,
                round=MonitoringRound.objects.get(pk=obj.pk),
                is_open=obj.is_open,
                deadline=obj.deadline,
            )
            return
        opened = monitoring.monitoring_round_open(
            user=request.user,
            year=obj.year,
            name=obj.name,
            as_of=obj.as_of,
            deadline=obj.deadline,
        )
        obj.pk = opened.pk
        if not obj.is_open:
            monitoring.monitoring_round_set_open(user=request.user, round=opened, is_open=False)

    @admin.action(description="补充生成监控表（目标在批次开启后才批复的项目）")
    def fill_sheets(self, request, queryset):
        filled = [monitoring.monitoring_round_fill(user=request.user, round=r) for r in queryset]
        sheets, lines = sum(len(f.sheets) for f in filled), sum(f.lines for f in filled)
        self.message_user(
            request, f"已补充生成{sheets}张监控表，补充{lines}条新增指标。", messages.SUCCESS
        )


@admin.register(MonitoringSheet)
class MonitoringSheetAdmin(admin.ModelAdmin):
    """监控表 are filled, reviewed and 整改 on their page (workflow and audit there): shown here,
    never written."""

    list_display = ["__str__", "department", "state", "funds_light", "light", "rectification_state"]
    list_filter = ["round", "state", "light", "rectification_state"]
    list_select_related = ["round", "department", "project"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
