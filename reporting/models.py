"""Export jobs: who asked for which standard tables, their progress and their file."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from budgets.models import FiscalYear


class ExportJob(models.Model):
    """One export request: who asked, what (table, year, departments, format), its progress and
    its file. Runs in Celery; the same request on unchanged data reuses an earlier file."""

    class Kind(models.TextChoices):
        PROJECT = "project-self-evaluation", "项目支出绩效自评表"
        DEPARTMENT = "department-self-evaluation", "部门整体支出绩效自评表"
        BASIC = "basic-data", "部门整体支出绩效评价基础数据表"
        TARGETS = "targets", "绩效目标表"
        SUMMARY = "summary", "自评结果汇总表"
        NARRATIVE = "narrative", "自评综述"
        MONITORING = "monitoring", "绩效目标执行监控表"
        MONITORING_SUMMARY = "monitoring-summary", "绩效运行监控情况汇总表"
        RESULTS = "results-application", "结果应用表"
        BUNDLE = "bundle", "全部表格（按单位分文件夹）"

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel（XLSX）"
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word（DOCX，仅自评综述）"

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    year = models.ForeignKey(
        FiscalYear, verbose_name="年度", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField("表格", max_length=32, choices=Kind.choices)
    format = models.CharField("格式", max_length=8, choices=Format.choices)
    department_ids = models.JSONField("单位范围", default=list)
    project_ids = models.JSONField("项目范围", default=list, blank=True)
    state = models.CharField(
        "状态", max_length=10, choices=State.choices, default=State.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField("进度", default=0)
    # what the progress counts: files written of the files to write (a ZIP: one per form or
    # per department and table); 0 of 0 until the task knows
    files_done = models.PositiveIntegerField("已生成文件数", default=0)
    files_total = models.PositiveIntegerField("文件总数", default=0)
    # what the export holds, in words, as it was asked (年度 · 单位 · 项目 · 表格 · 格式)
    scope = models.CharField("导出范围", max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    heartbeat = models.DateTimeField("最近进展", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    fingerprint = models.CharField("内容指纹", max_length=64, blank=True, db_index=True)
    file = models.FileField("文件", upload_to="exports/", blank=True)
    filename = models.CharField("文件名", max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField("文件大小（字节）", null=True, blank=True)
    error = models.TextField("失败原因", blank=True)
    # a PDF export split across workers (exports.py): its parts, and those rendered so far
    parts_total = models.PositiveIntegerField("分片数", default=0)
    parts_done = models.JSONField("已完成分片", default=list, blank=True)

    class Meta:
        # the table keeps its name from when the model lived in evaluations
        db_table = "evaluations_exportjob"
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_max_100"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year.year} {self.get_format_display()}"

    def progress_label(self) -> str:
        """The state as 我的导出 and the form's export button show it, with what the progress
        counts: 生成中 3/12 个文件 · 40%."""
        if self.state == self.State.RUNNING:
            if self.files_total > 1:
                return f"生成中 {self.files_done}/{self.files_total} 个文件 · {self.progress}%"
            return f"生成中 {self.progress}%"
        return self.get_state_display()
