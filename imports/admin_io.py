"""django-import-export's buttons in 系统管理, as a front end to the import engine.

The 导入 / 导出 buttons on 单位, 项目, 部门整体预算数据, 三级指标 and 用户 are
django-import-export's (its change-list buttons, its URLs and its import → confirm flow), but
the import behind them is the engine's and nothing else: the upload becomes an `ImportJob` of
the model's kind through `imports.services` (same rules, same all-or-nothing, same preview in
Celery, same audit record), the confirm page shows the engine's counts, errors and changed rows,
and 确认导入 calls `services.job_confirm`. No django-import-export Resource has rules of
its own.

Export writes the filtered change list (the admin's filters and search apply) in the columns of
the kind's import template, so an exported file imports back unchanged. Text that a spreadsheet
could take for a formula (= + - @, tab, CR at the start) gets a leading apostrophe, which the
engine takes off again on import; numbers stay numbers (django-import-export's own escaping turns
them into text, so it is not used).

The admin classes of budgets/evaluations are extended here, from the top of the layers, rather
than there: the lower apps never import `imports`.
"""

import datetime

import tablib
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from import_export.admin import ExportMixin, ImportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ExportForm
from import_export.resources import Resource

from budgets.models import Department, DepartmentBudget, FiscalYear, Project
from evaluations.models import Indicator, LibraryIndicator
from evaluations.services import LIBRARY_FIELDS

from . import accounts, services
from .engine import ESCAPED as FORMULA_START
from .engine import Column
from .kinds import BUDGET_FIELDS, FUND_COLUMNS, KINDS, Context
from .models import ImportJob

PREVIEW_SHOWN = 200


def escape_formula(value):
    """A text cell a spreadsheet would run as a formula, made plain text; numbers untouched."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class EngineResource(Resource):
    """Named for django-import-export's forms only: the columns are the kind's."""

    @classmethod
    def get_display_name(cls):
        return "导入模板的列"


def _columns(kind: str) -> list[Column]:
    return KINDS[kind].columns(Context(user=None))


def _cell(column: Column, value):
    if value is None or value == "":
        return None
    if column.choices:  # the label, as the template's dropdown offers it (both are accepted)
        value = dict(column.choices).get(value, value)
    return escape_formula(value)


# What each model's row holds, by the kind's column keys.


def _department(d: Department) -> dict:
    parent = d.parent.code if d.parent else None
    return {"code": d.code, "name": d.name, "parent": parent, "kind": d.kind}


def _project(p: Project) -> dict:
    row = {"year": p.year.year, "department": p.department.code, "code": p.code}
    row.update(name=p.name, category=p.category, ended="是" if p.ended else "否")
    row.update({c.key: getattr(p, c.key) for c in FUND_COLUMNS})
    return row


def _budget(b: DepartmentBudget) -> dict:
    row = {
        "year": b.year.year,
        "department": b.department.code,
        "department_name": b.department.name,
    }
    row.update({f.name: getattr(b, f.name) for f in BUDGET_FIELDS})
    return row


def _indicator(i: Indicator) -> dict:
    sheet = i.sheet
    return {
        "year": sheet.year.year,
        "project": sheet.project.code if sheet.project_id else None,
        "department": sheet.department.code,
        "level1": i.category.parent.name if i.category.parent_id else None,
        "level2": i.category.name,
        **{k: getattr(i, k) for k in ("name", "comparator", "target_value", "unit", "weight")},
        **{k: getattr(i, k) for k in ("basis", "explanation", "scoring_rule")},
    }


def _library(e: LibraryIndicator) -> dict:
    row = {name: getattr(e, name) for name in LIBRARY_FIELDS}
    row["is_active"] = "是" if e.is_active else "否"
    return row


def _user_rows(user) -> list[dict]:
    base = {"username": user.username, "name": user.first_name, "email": user.email}
    roles = [
        {**base, "department": m.department.code, "role": m.role} for m in user.memberships.all()
    ]
    return roles or [base]


EXPORTS = {
    "departments": (lambda qs: qs.select_related("parent"), lambda o: [_department(o)]),
    "projects": (lambda qs: qs.select_related("year", "department"), lambda o: [_project(o)]),
    "department-budgets": (
        lambda qs: qs.select_related("year", "department"),
        lambda o: [_budget(o)],
    ),
    "indicators": (
        lambda qs: qs.select_related(
            "sheet__year", "sheet__project", "sheet__department", "category__parent"
        ),
        lambda o: [_indicator(o)],
    ),
    "indicator-library": (lambda qs: qs, lambda o: [_library(o)]),
    "users": (
        lambda qs: qs.prefetch_related("memberships__department"),
        _user_rows,
    ),
}


def export_dataset(kind: str, queryset) -> tablib.Dataset:
    """The rows of `queryset` in the kind's template columns (a fixed number of queries)."""
    columns = _columns(kind)
    prepare, rows_of = EXPORTS[kind]
    data = tablib.Dataset(headers=[c.header for c in columns])
    for obj in prepare(queryset).iterator(chunk_size=2000):
        for row in rows_of(obj):
            data.append([_cell(c, row.get(c.key)) for c in columns])
    return data


class EngineImportForm(forms.Form):
    import_file = forms.FileField(label="文件（XLSX 或 CSV）")
    year = forms.ModelChoiceField(
        FiscalYear.objects.order_by("-year"),
        required=False,
        label="年度",
        empty_label="（按文件中的“年度”列）",
        help_text="文件中没有“年度”列时必选；有“年度”列时须与之一致。",
    )

    def __init__(self, *args, with_year: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_year:
            del self.fields["year"]


class EngineImportExportMixin(ImportMixin, ExportMixin):
    """Import through the engine, export in the template's columns; `import_kind` names the
    kind."""

    import_kind: str = ""
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    import_template_name = "admin/imports/engine_import.html"
    resource_classes = [EngineResource]
    export_form_class = ExportForm
    formats = [XLSX, CSV]
    to_encoding = "utf-8-sig"  # a CSV that Excel opens with its Chinese intact

    # --- import ---------------------------------------------------------------------------

    def has_import_permission(self, request):
        return self.import_kind in dict(services.kinds_for(request.user))

    def get_urls(self):
        info = self.get_model_info()
        return [
            path(
                "import/<int:job_id>/",
                self.admin_site.admin_view(self.import_job_view),
                name="{}_{}_import_job".format(*info),
            ),
            *super().get_urls(),
        ]

    def _context(self, request, **extra):
        kind = self.import_kind
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"导入{ImportJob.Kind(kind).label}",
            "kind": kind,
            "kind_label": ImportJob.Kind(kind).label,
            "headers": [c.header for c in _columns(kind) if not c.reference],
            "instructions": KINDS[kind].instructions,
            "template_url": f"{reverse('import_template')}?kind={kind}",
            "max_mb": settings.IMPORT_MAX_BYTES // 1024 // 1024,
            **extra,
        }

    def import_action(self, request, **kwargs):
        """Upload: the file becomes an import job of the kind; its preview runs in Celery."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        with_year = any(c.key == "year" for c in _columns(self.import_kind))
        form = EngineImportForm(request.POST or None, request.FILES or None, with_year=with_year)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["import_file"]
            if upload.size > settings.IMPORT_MAX_BYTES:
                mb = settings.IMPORT_MAX_BYTES // 1024 // 1024
                form.add_error("import_file", f"文件超过 {mb}MB 的上限，未导入。")
            else:
                try:
                    job = services.job_create(
                        user=request.user,
                        kind=self.import_kind,
                        name=upload.name,
                        data=upload.read(),
                        year=form.cleaned_data.get("year"),
                        via="系统管理",
                    )
                except services.ImportRefused as exc:
                    form.add_error("import_file", str(exc))
                else:
                    return redirect(self._job_url(job))
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, [self.import_template_name], self._context(request, form=form)
        )

    def _job_url(self, job: ImportJob) -> str:
        info = self.get_model_info()
        return reverse(f"{self.admin_site.name}:%s_%s_import_job" % info, args=[job.pk])

    def _job(self, request, job_id: int) -> ImportJob:
        return get_object_or_404(
            services.visible_jobs(request.user), pk=job_id, kind=self.import_kind
        )

    def import_job_view(self, request, job_id: int):
        """The confirm step: the engine's preview of the job, and 确认导入 when it is clean."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = self._job(request, job_id)
        first_login = []
        if job.kind == ImportJob.Kind.USERS and job.state == ImportJob.State.DONE:
            first_login = accounts.first_login_links(request, accounts.users_of_job(job))
        rows = job.preview[:PREVIEW_SHOWN]
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            [self.import_template_name],
            self._context(
                request,
                job=job,
                rows=rows,
                more=max(0, len(job.preview) - len(rows)),
                error_count=len(job.errors),
                running=job.state in services.RUNNING or job.state == ImportJob.State.QUEUED,
                first_login=first_login,
            ),
        )

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """确认导入: the engine's commit (re-checks every row; all or nothing; one audit)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = self._job(request, _int(request.POST.get("job")))
        try:
            services.job_confirm(job=job, user=request.user)
        except services.ImportRefused as exc:
            messages.error(request, str(exc))
        return redirect(self._job_url(job))

    # --- export ---------------------------------------------------------------------------

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_data_for_export(self, request, queryset, **kwargs):
        return export_dataset(self.import_kind, queryset)

    def get_export_filename(self, request, queryset, file_format):
        stamp = datetime.date.today().isoformat()
        return f"{self.import_kind}-{stamp}.{file_format.get_extension()}"

    def init_request_context_data(self, request, form):
        context = super().init_request_context_data(request, form)
        context["fields_list"] = [
            (ImportJob.Kind(self.import_kind).label, [c.header for c in _columns(self.import_kind)])
        ]
        return context


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class IndicatorAdmin(admin.ModelAdmin):
    """三级指标 as a list to filter, export and import: a line is edited on its 绩效目标 (or in
    the target sheet's admin page while the sheet is with the unit), never on its own."""

    list_display = ["name", "category", "comparator", "target_value", "unit", "weight", "sheet"]
    list_filter = ["sheet__year", "sheet__state"]
    search_fields = [
        "name",
        "sheet__project__code",
        "sheet__project__name",
        "sheet__department__code",
    ]
    list_select_related = ["category", "sheet__project", "sheet__department", "sheet__year"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.action(description="生成首次登录链接")
def first_login_links_action(modeladmin, request, queryset):
    """One-time links for the selected accounts that have not set a password yet (made now and
    shown once; stored nowhere)."""
    links = accounts.first_login_links(request, queryset.order_by("username"))
    if not links:
        messages.info(request, "所选用户都已设置过密码或已停用，无需首次登录链接。")
        return None
    return TemplateResponse(
        request,
        "admin/imports/first_login_links.html",
        {
            **modeladmin.admin_site.each_context(request),
            "opts": modeladmin.model._meta,
            "title": "首次登录链接",
            "first_login": links,
        },
    )


ADMIN_KINDS = [
    (Department, "departments"),
    (Project, "projects"),
    (DepartmentBudget, "department-budgets"),
    (Indicator, "indicators"),
    (LibraryIndicator, "indicator-library"),
    (get_user_model(), "users"),
]


def install(site: admin.AdminSite = admin.site) -> None:
    """Give each model's admin the import/export buttons (keeping everything else it does)."""
    if Indicator not in site._registry:
        site.register(Indicator, IndicatorAdmin)
    for model, kind in ADMIN_KINDS:
        base = type(site._registry[model])
        attrs = {"import_kind": kind, "__module__": __name__}
        if kind == "users":
            attrs["actions"] = [*(base.actions or []), first_login_links_action]
        site.unregister(model)
        site.register(model, type(base.__name__, (EngineImportExportMixin, base), attrs))
