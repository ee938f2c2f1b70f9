"""Models every app shares. The audit log: one record per change, written by the services of
every app through `core.audit.audit_record`."""

from django.conf import settings
from django.db import models


class AuditLog(models.Model):
    """One record per change: who, when, what, old → new values. Written only by services."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField("操作", max_length=64)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象编号", max_length=64)
    object_repr = models.CharField("对象", max_length=300, blank=True)
    department = models.ForeignKey(
        # by name, not by import: core imports no project app; the column only records which
        # unit a change concerned, so that a unit's history can be listed
        "budgets.Department",
        verbose_name="单位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changes = models.JSONField("变更内容", default=dict, blank=True)
    reason = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "操作记录"
        verbose_name_plural = "操作记录"
        # the table keeps its name from when the model lived in budgets (moved without a copy)
        db_table = "budgets_auditlog"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"


class DataGeneration(models.Model):
    """数据版本: one row whose value grows after every committed write to the data the pages show
    (core/freshness.py). Never edited by hand."""

    value = models.BigIntegerField("版本", default=0)

    class Meta:
        verbose_name = "数据版本"
        verbose_name_plural = "数据版本"

    def __str__(self) -> str:
        return str(self.value)
