"""The audit service: every write of every app leaves one record through `audit_record`, its
changes given as `diff(old, new)` of `field_values`."""

from decimal import Decimal
from typing import Any

from django.db import models

from .models import AuditLog


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def field_values(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of an object, JSON-ready (for audit diffs)."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    return {name: _plain(getattr(obj, name)) for name in names}


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that changed."""
    return {
        key: [old.get(key), new.get(key)]
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


def _entry(*, actor, action, obj, changes=None, department=None, reason="") -> AuditLog:
    department_id = department.pk if isinstance(department, models.Model) else department
    if department_id is None:
        department_id = getattr(obj, "department_id", None)
    return AuditLog(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        department_id=department_id,
        changes=changes or {},
        reason=reason,
    )


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    changes: dict | None = None,
    department: models.Model | int | None = None,
    reason: str = "",
) -> AuditLog:
    entry = _entry(
        actor=actor, action=action, obj=obj, changes=changes, department=department, reason=reason
    )
    entry.save(force_insert=True)
    return entry


def audit_records(*, actor, action: str, objs) -> list[AuditLog]:
    """One record for each of `objs` (the same action by the same actor), in one INSERT."""
    return AuditLog.objects.bulk_create(
        [_entry(actor=actor, action=action, obj=obj) for obj in objs], batch_size=2000
    )
