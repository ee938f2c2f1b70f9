"""Find and repair rows already out of range (stored before the number rule, core.numbers).

Used by `manage.py repair_numbers` and by the data migrations that run before the check
constraints are added (a migration must not fail on a database holding bad rows). Works on the
models' metadata and raw SQL only, so a migration can pass its historical models:

- every DecimalField of the given models is read as text (on SQLite a value may overflow the
  declared digits, and reading it through the ORM would fail) and checked against its bound:
  0 … the column's largest value, or the domain's tighter bound where one is given (a score or a
  weight: 100);
- an optional cross-table rule (a line's score above its indicator's weight);
- a bad value becomes NULL where the column allows it (a score or a computed figure: the next
  recomputation fills it), else the field's default (money: 0), else the nearest bound;
- every change is reported and recorded in the audit log (who: nobody, action 数值修复).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import connections, models

from core import numbers

ACTION = "数值修复"


@dataclass
class Change:
    model: str  # app_label.ModelName, as the audit log names it
    pk: int
    field: str
    label: str
    old: str
    new: str | None
    note: str
    department_id: int | None = None

    def line(self) -> str:
        new = "空" if self.new is None else self.new
        return f"{self.model} #{self.pk} {self.label}：{self.old} → {new}（{self.note}）"


@dataclass(frozen=True)
class CrossRule:
    """A value bounded by a column of another table, e.g. a line's score by its weight."""

    model: str  # "evaluations.IndicatorResult"
    fields: tuple[str, ...]  # the bounded columns
    join_table: str  # table holding the bound
    join_column: str  # the foreign key on the model's table
    bound_column: str  # the bound's column in join_table
    note: str  # "{bound}" is replaced by the bound's value


def _text(value) -> str:
    return "" if value is None else str(value)


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return value if value.is_finite() else None


def _replacement(field, value: Decimal | None, top: Decimal) -> Decimal | None:
    if field.null:
        return None
    if field.has_default() and not callable(field.default):
        return Decimal(field.default)
    if value is None or value < 0:
        return Decimal(0)
    return top


def find(
    models_list, *, bounds: dict | None = None, cross: tuple[CrossRule, ...] = (), using="default"
):
    """Every out-of-range value of these models: [(model, Change)], nothing written."""
    bounds = bounds or {}
    connection = connections[using]
    quote = connection.ops.quote_name
    found: list[tuple[type[models.Model], Change]] = []
    with connection.cursor() as cursor:
        for model in models_list:
            label = f"{model._meta.app_label}.{model.__name__}"
            table = quote(model._meta.db_table)
            has_department = any(f.attname == "department_id" for f in model._meta.concrete_fields)
            department = quote("department_id") if has_department else "NULL"
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.DecimalField):
                    continue
                top = min(
                    numbers.column_max(field), bounds.get((label, field.name), Decimal("Infinity"))
                )
                column = quote(field.column)
                cursor.execute(
                    f"SELECT {quote('id')}, CAST({column} AS TEXT), {department} FROM {table} "
                    f"WHERE {column} IS NOT NULL AND ({column} < 0 OR {column} > %s)",
                    [top],
                )
                for pk, text, department_id in cursor.fetchall():
                    value = _decimal(text)
                    new = _replacement(field, value, top)
                    note = f"超出范围（应在0至{numbers.plain(top)}之间）"
                    found.append(
                        (
                            model,
                            Change(
                                label,
                                pk,
                                field.name,
                                str(field.verbose_name),
                                _text(text),
                                None if new is None else str(new),
                                note,
                                department_id,
                            ),
                        )
                    )
        by_label = {f"{m._meta.app_label}.{m.__name__}": m for m in models_list}
        for rule in cross:
            model = by_label[rule.model]
            table = quote(model._meta.db_table)
            seen = {(c.pk, c.field) for m, c in found if m is model}
            for name in rule.fields:
                field = model._meta.get_field(name)
                column = quote(field.column)
                cursor.execute(
                    f"SELECT t.{quote('id')}, CAST(t.{column} AS TEXT), "
                    f"CAST(j.{quote(rule.bound_column)} AS TEXT) "
                    f"FROM {table} t JOIN {quote(rule.join_table)} j "
                    f"ON j.{quote('id')} = t.{quote(rule.join_column)} "
                    f"WHERE t.{column} IS NOT NULL AND t.{column} > j.{quote(rule.bound_column)}"
                )
                for pk, text, bound in cursor.fetchall():
                    if (pk, name) in seen:
                        continue
                    new = None if field.null else _decimal(bound)
                    found.append(
                        (
                            model,
                            Change(
                                rule.model,
                                pk,
                                name,
                                str(field.verbose_name),
                                _text(text),
                                None if new is None else str(new),
                                rule.note.format(
                                    bound=numbers.plain(_decimal(bound) or Decimal(0))
                                ),
                            ),
                        )
                    )
    return found


def repair(
    models_list,
    *,
    audit_model,
    bounds: dict | None = None,
    cross: tuple[CrossRule, ...] = (),
    dry_run: bool = False,
    using: str = "default",
) -> list[Change]:
    """Find and (unless `dry_run`) repair; one audit record per change. Returns the changes."""
    found = find(models_list, bounds=bounds, cross=cross, using=using)
    if dry_run or not found:
        return [c for _, c in found]
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model, change in found:
            field = model._meta.get_field(change.field)
            cursor.execute(
                f"UPDATE {quote(model._meta.db_table)} SET {quote(field.column)} = %s "
                f"WHERE {quote('id')} = %s",
                [None if change.new is None else Decimal(change.new), change.pk],
            )
    audit_model.objects.using(using).bulk_create(
        [
            audit_model(
                actor=None,
                action=ACTION,
                object_type=change.model,
                object_id=str(change.pk),
                object_repr=f"{change.model} #{change.pk}"[:300],
                department_id=change.department_id,
                changes={change.field: [change.old[:100], change.new]},
                reason=change.note,
            )
            for _, change in found
        ]
    )
    return [c for _, c in found]


def audit_model(apps):
    """The audit log's model in `apps`: core's since it moved there, budgets' in the historical
    state of the migrations that ran before the move (same table either way)."""
    try:
        return apps.get_model("core", "AuditLog")
    except LookupError:
        return apps.get_model("budgets", "AuditLog")


def repair_budgets(apps, *, dry_run: bool = False, using: str = "default") -> list[Change]:
    """Project funds and 部门整体 figures (the budgets app's decimals)."""
    return repair(
        [apps.get_model("budgets", "Project"), apps.get_model("budgets", "DepartmentBudget")],
        audit_model=audit_model(apps),
        dry_run=dry_run,
        using=using,
    )
