from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from budgets.admin import ReadOnlyAdmin

from . import admin_io
from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Import records, read-only: imports are made on the 批量导入 page or with import_data."""

    list_display = ["created_at", "kind", "original_name", "state", "counts", "created_by", "page"]
    list_filter = ["kind", "state", "via"]
    search_fields = ["original_name"]

    @admin.display(description="导入页面")
    def page(self, job):
        return format_html('<a href="{}">预览与结果</a>', reverse("import_job", args=[job.pk]))

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": "导入任务（新的导入请到“批量导入”页面）"}
        return super().changelist_view(request, extra_context)


# 导入 / 导出 on 单位, 项目, 部门整体预算数据, 三级指标 and 用户 (the engine behind them)
admin_io.install()
