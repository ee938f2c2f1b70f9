"""An import job: one uploaded file, its preview, and (after confirmation) its import."""

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        DEPARTMENTS = "departments", "单位"
        PROJECTS = "projects", "项目及资金"
        DEPARTMENT_BUDGETS = "department-budgets", "部门整体预算数据"
        INDICATORS = "indicators", "绩效目标（三级指标）"
        RESULTS = "results", "自评结果"
        USERS = "users", "用户"
        INDICATOR_LIBRARY = "indicator-library", "指标库"
        EVALUATION_TABLE = "evaluation-table", "项目支出绩效自评表（离线填报）"
        MONITORING = "monitoring", "绩效运行监控"
        MONITORING_TABLE = "monitoring-table", "绩效目标执行监控表（离线填报）"

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        PREVIEWING = "previewing", "检查中"
        READY = "ready", "待确认"
        INVALID = "invalid", "有错误"
        IMPORTING = "importing", "导入中"
        DONE = "done", "已导入"
        FAILED = "failed", "已失败"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    kind = models.CharField("数据类型", max_length=24, choices=Kind.choices)
    year = models.ForeignKey(
        "budgets.FiscalYear",
        verbose_name="年度",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    evaluation = models.ForeignKey(
        "evaluations.SelfEvaluation",
        verbose_name="绩效自评",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    monitoring_sheet = models.ForeignKey(
        "evaluations.MonitoringSheet",
        verbose_name="绩效监控表",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # the evaluation's (or 监控表's) version when its table was uploaded: an edit made since
    # then wins
    base_version = models.PositiveIntegerField("表单版本", null=True, blank=True)
    file = models.FileField("文件", upload_to="imports/%Y/")
    # the sheet as the preview read it (files.sheet_dump), for the import; removed once it ran
    parsed = models.FileField("解析结果", upload_to="imports/%Y/", blank=True)
    original_name = models.CharField("文件名", max_length=200)
    via = models.CharField("方式", max_length=16, default="网页")
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField("进度", default=0)
    counts = models.JSONField("统计", default=dict, blank=True)
    errors = models.JSONField("错误", default=list, blank=True)
    preview = models.JSONField("预览", default=list, blank=True)
    notes = models.JSONField("提示", default=list, blank=True)
    message = models.TextField("说明", blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # the sweep's view of a job in a worker: when it last reported, and how many runs it took
    heartbeat = models.DateTimeField("最近进展", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}导入 {self.original_name}"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED, self.State.INVALID)
