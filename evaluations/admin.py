from django import forms
from django.contrib import admin
from django.db.models import F

from budgets.admin import NUMBER_RULE, AuditedAdmin

from . import rules, workflow
from .models import (
    Evidence,
    Indicator,
    IndicatorCategory,
    IndicatorResult,
    SelfEvaluation,
    TargetAdjustment,
    TargetSheet,
)
from .selectors import policy_for
from .services import evaluation_refresh


@admin.register(IndicatorCategory)
class IndicatorCategoryAdmin(AuditedAdmin):
    list_display = ["name", "parent", "year", "weight", "order", "is_active"]
    list_filter = ["year", "is_active"]
    list_select_related = ["parent", "year"]


def _locked(form) -> bool:
    return form is not None and form.state not in workflow.EDITABLE


class WorkflowFormAdmin(AuditedAdmin):
    """The admin may correct a form that is still with the unit (草稿, 已退回), but never moves one
    through the workflow (state and version are read-only here) nor edits or deletes one that is
    waiting for review or approved: 退回 and 重新打开 are the way back, for everyone."""

    readonly_fields = ["state", "version", "submitted_at", "approved_at", "review_comment"]

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
    raw_id_fields = ["project"]
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
    raw_id_fields = ["project"]
    inlines = [ResultInline]

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
    list_display = ["indicator", "old_value", "new_value", "state", "requested_by", "requested_at"]
    list_filter = ["state"]
    raw_id_fields = ["indicator"]
