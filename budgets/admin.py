from django import forms
from django.contrib import admin
from django.db import models

from core import formatting, numbers
from core.audit import audit_record, diff, field_values
from core.forms import NumberField
from core.models import AuditLog

from .models import (
    FUND_SOURCES,
    Department,
    DepartmentBudget,
    Membership,
    Project,
)

admin.site.site_header = "绩效自评系统 · 系统管理"
admin.site.site_title = "绩效自评系统"
admin.site.index_title = "系统设置"
admin.site.site_url = None  # the header links 返回系统首页 (templates/admin/base_site.html)


# Every decimal of the admin is read by the one number rule (core.numbers), with the model
# field's digits and places; domain bounds come from the models' check constraints (validated
# by the model forms, with their Chinese messages) and, for a line's score, from its form.
NUMBER_RULE = {models.DecimalField: {"form_class": NumberField}}


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits are a mutation path like any other: each save or delete is audited once."""

    formfield_overrides = NUMBER_RULE

    def save_model(self, request, obj, form, change):
        old = field_values(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        super().save_model(request, obj, form, change)
        # a timestamp that moves on every save (auto_now) is not a change anyone made
        stamps = {f.attname for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)}
        changes = {k: v for k, v in diff(old, field_values(obj)).items() if k not in stamps}
        if changes or not change:
            audit_record(
                actor=request.user,
                action="后台修改" if change else "后台新增",
                obj=obj,
                changes=changes,
            )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user, action="后台删除", obj=obj, changes=diff(field_values(obj), {})
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        """Inline rows (e.g. indicators inside a target sheet) are audited one record each."""
        model = formset.model
        olds = {
            obj.pk: field_values(obj)
            for obj in model.objects.filter(
                pk__in=[f.instance.pk for f in formset.forms if f.instance.pk]
            )
        }
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit_record(
                actor=request.user, action="后台新增", obj=obj, changes=diff({}, field_values(obj))
            )
        for obj, _fields in formset.changed_objects:
            audit_record(
                actor=request.user,
                action="后台修改",
                obj=obj,
                changes=diff(olds.get(obj.pk, {}), field_values(obj)),
            )
        for obj in formset.deleted_objects:
            audit_record(
                actor=request.user,
                action="后台删除",
                obj=obj,
                changes=diff(olds.get(obj.pk, field_values(obj)), {}),
            )


# The 年度 admin is registered by evaluations/admin.py: creating a year seeds its indicator
# classification and a policy change recomputes its evaluations, both evaluations' services.


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "department", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "department__name", "department__code"]
    list_select_related = ["user", "department"]
    autocomplete_fields = ["department"]


class ProjectAdminForm(forms.ModelForm):
    """A 全年执行数 far above the 全年预算数 is refused as on the self-evaluation form."""

    def clean(self):
        data = super().clean()
        full = [data.get(f"full_{s}") for s, _ in FUND_SOURCES]
        executed = [data.get(f"executed_{s}") for s, _ in FUND_SOURCES]
        if None not in full and None not in executed:
            refusal = numbers.execution_refusal(sum(full), sum(executed))
            if refusal:
                self.add_error("executed_current", refusal)
        return data


@admin.register(Project)
class ProjectAdmin(AuditedAdmin):
    form = ProjectAdminForm
    list_display = [
        "code",
        "name",
        "year",
        "department",
        "full_total_display",
        "executed_total_display",
        "ended",
    ]
    list_filter = ["year", "ended"]
    search_fields = ["code", "name", "department__name"]
    list_select_related = ["year", "department"]
    autocomplete_fields = ["department"]

    @admin.display(description="全年预算数（万元）")
    def full_total_display(self, obj: Project) -> str:
        return formatting.fixed(obj.full_total)

    @admin.display(description="全年执行数（万元）")
    def executed_total_display(self, obj: Project) -> str:
        return formatting.fixed(obj.executed_total)


@admin.register(DepartmentBudget)
class DepartmentBudgetAdmin(AuditedAdmin):
    list_display = ["year", "department", "staff_quota", "staff_actual"]
    list_filter = ["year"]
    search_fields = ["department__name", "department__code"]
    list_select_related = ["year", "department"]
    autocomplete_fields = ["department"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that the application writes and nobody edits (audit log, import jobs)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_repr", "department"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "actor__username", "reason"]
    list_select_related = ["actor", "department"]
