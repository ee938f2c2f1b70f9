from django.contrib import admin

from budgets.admin import AuditedAdmin

from .models import (
    Evidence,
    Indicator,
    IndicatorCategory,
    IndicatorResult,
    SelfEvaluation,
    TargetAdjustment,
    TargetSheet,
)


@admin.register(IndicatorCategory)
class IndicatorCategoryAdmin(AuditedAdmin):
    list_display = ["name", "parent", "year", "weight", "order", "is_active"]
    list_filter = ["year", "is_active"]
    list_select_related = ["parent", "year"]


class IndicatorInline(admin.TabularInline):
    model = Indicator
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
class TargetSheetAdmin(AuditedAdmin):
    list_display = ["__str__", "department", "state", "updated_at"]
    list_filter = ["year", "state"]
    search_fields = ["project__name", "project__code", "department__name"]
    list_select_related = ["year", "department", "project"]
    raw_id_fields = ["project"]
    inlines = [IndicatorInline]


class ResultInline(admin.TabularInline):
    model = IndicatorResult
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
class SelfEvaluationAdmin(AuditedAdmin):
    list_display = ["__str__", "department", "state", "total_score", "grade", "review_total_score"]
    list_filter = ["year", "state", "grade"]
    search_fields = ["project__name", "project__code", "department__name"]
    list_select_related = ["year", "department", "project"]
    raw_id_fields = ["project"]
    inlines = [ResultInline]


@admin.register(Evidence)
class EvidenceAdmin(AuditedAdmin):
    list_display = ["original_name", "result", "size", "uploaded_by", "uploaded_at"]
    raw_id_fields = ["result"]


@admin.register(TargetAdjustment)
class TargetAdjustmentAdmin(AuditedAdmin):
    list_display = ["indicator", "old_value", "new_value", "state", "requested_by", "requested_at"]
    list_filter = ["state"]
    raw_id_fields = ["indicator"]
