"""Target setting (目标申报): validating and saving the indicator grid of a target sheet."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from budgets.access import scope
from budgets.models import Department, FiscalYear, Project
from core.audit import audit_record
from core.http import as_id

from .. import rules, scoring, workflow
from ..models import Indicator, IndicatorCategory, LibraryIndicator, TargetSheet
from ..selectors import policy_for
from .transitions import FormProblems, bump_version, form_transition, person


@dataclass
class IndicatorInput:
    """One row of the grid as the clerk typed it (already type-checked by the form)."""

    id: int | None
    category: IndicatorCategory  # 二级, with its parent 一级
    name: str
    comparator: str
    target_value: str
    unit: str
    weight: Decimal
    basis: str
    explanation: str = ""
    scoring_rule: str = ""
    library_id: int | None = None  # the 指标库 entry the line was taken from


EDITABLE_FIELDS = [
    "category_id",
    "name",
    "comparator",
    "target_value",
    "unit",
    "weight",
    "basis",
    "explanation",
    "scoring_rule",
    "order",
    "library_id",
]


def target_problems(
    rows: list[IndicatorInput], level1: list[IndicatorCategory], policy: scoring.Policy
) -> tuple[list[str], dict[int, list[str]]]:
    """Rules a target grid must meet before submission: (general messages, {row index: messages}).
    Row indexes are 0-based positions in `rows`. The rules are `rules`' (one line, the weights)."""
    lines: dict[int, list[str]] = {}
    for index, row in enumerate(rows):
        line = rules.TargetLine(row.name, row.comparator, row.target_value, row.unit)
        if messages := rules.messages(rules.target_line_problems(line)):
            lines[index] = messages
    general = rules.weight_problems(
        [(row.category.parent.name, row.weight) for row in rows],
        {c.name: c.weight or Decimal("0") for c in level1},
        policy,
    )
    return general, lines


def level1_categories(sheet: TargetSheet) -> list[IndicatorCategory]:
    return list(
        IndicatorCategory.objects.filter(
            year_id=sheet.year_id, parent=None, is_active=True
        ).order_by("order")
    )


def _rows_of(sheet: TargetSheet) -> list[IndicatorInput]:
    return [
        IndicatorInput(
            i.id,
            i.category,
            i.name,
            i.comparator,
            i.target_value,
            i.unit,
            i.weight,
            i.basis,
            i.explanation,
            i.scoring_rule,
            i.library_id,
        )
        for i in sheet.indicators.select_related("category__parent")
    ]


def target_sheet_validate(sheet: TargetSheet) -> None:
    """Raise FormProblems (messages naming the line) unless the stored sheet may be submitted."""
    rows = _rows_of(sheet)
    general, lines = target_problems(rows, level1_categories(sheet), policy_for(sheet.year))
    if not rows:
        general.insert(0, "尚未设置任何绩效指标")
    if lines or general:
        raise FormProblems(general, {rows[i].id: ms for i, ms in lines.items()})


def target_sheet_save(
    *, sheet: TargetSheet, user, overall_goal: str, rows: list[IndicatorInput], version: int
) -> TargetSheet:
    """Save the goal and the whole grid (rows added, changed, reordered, removed) in one go."""
    if not workflow.can_edit(user, sheet):
        raise workflow.WorkflowError(
            f"表单当前状态为“{sheet.get_state_display()}”，或您无权编辑，不能保存。"
        )
    with transaction.atomic():
        old_goal = sheet.overall_goal
        bump_version(sheet, version, overall_goal=overall_goal, filled_by=person(user))
        existing = {i.id: i for i in sheet.indicators.all()}
        # a link to an entry that is gone is dropped (the line itself is the clerk's)
        linked = {r.library_id for r in rows if r.library_id}
        known_entries = (
            set(LibraryIndicator.objects.filter(pk__in=linked).values_list("pk", flat=True))
            if linked
            else set()
        )
        kept, created, changed = set(), [], {}
        for order, row in enumerate(rows, start=1):
            values = {
                "category_id": row.category.id,
                "name": row.name.strip(),
                "comparator": row.comparator,
                "target_value": row.target_value.strip(),
                "unit": row.unit.strip(),
                "weight": row.weight,
                "basis": row.basis,
                "explanation": row.explanation.strip(),
                "scoring_rule": row.scoring_rule.strip(),
                "order": order,
                "library_id": row.library_id if row.library_id in known_entries else None,
            }
            indicator = existing.get(row.id) if row.id else None
            if indicator is None:
                created.append(Indicator(sheet=sheet, **values))
                continue
            kept.add(indicator.id)
            diff = {
                k: [str(getattr(indicator, k)), str(v)]
                for k, v in values.items()
                if getattr(indicator, k) != v
            }
            if diff:
                for key, value in values.items():
                    setattr(indicator, key, value)
                indicator.save(update_fields=EDITABLE_FIELDS)
                changed[indicator.name] = diff
        removed = [i for pk, i in existing.items() if pk not in kept]
        Indicator.objects.filter(pk__in=[i.pk for i in removed]).delete()
        Indicator.objects.bulk_create(created)
        changes: dict = {}
        if old_goal != sheet.overall_goal:
            changes["overall_goal"] = [old_goal, sheet.overall_goal]
        if created:
            changes["added"] = [i.name for i in created]
        if removed:
            changes["removed"] = [i.name for i in removed]
        if changed:
            changes["changed"] = changed
        if changes:  # a save that changed nothing leaves no empty 保存 row in the history
            audit_record(actor=user, action="绩效目标·保存", obj=sheet, changes=changes)
    return sheet


def target_sheet_transition(
    *,
    sheet: TargetSheet,
    user,
    action: str,
    reason: str = "",
    line_comments: dict[int, str] | None = None,
    version: int | None = None,
) -> TargetSheet:
    return form_transition(
        form=sheet,
        user=user,
        action=action,
        reason=reason,
        line_comments=line_comments,
        validate=target_sheet_validate,
        version=version,
    )


def target_sheet_start(*, user, project_id=None, department_id=None, year_id=None) -> TargetSheet:
    """The target sheet of a project (or of a department-year), created on first use."""
    if project_id:
        project = (
            scope(Project.objects.select_related("year"), user).filter(pk=as_id(project_id)).first()
        )
        if project is None:
            raise workflow.WorkflowError("未找到该项目，或您无权填报。")
        key = {"project": project, "year": project.year, "department_id": project.department_id}
    else:
        department = (
            scope(Department.objects.all(), user, "id").filter(pk=as_id(department_id)).first()
        )
        fiscal_year = FiscalYear.objects.filter(pk=as_id(year_id)).first()
        if department is None or fiscal_year is None:
            raise workflow.WorkflowError("未找到该单位或年度，或您无权填报。")
        key = {"project": None, "year": fiscal_year, "department_id": department.id}
    if not workflow.acts_as(user, workflow.UNIT, key["department_id"]):
        existing = TargetSheet.objects.filter(**key).first()
        if existing:
            return existing
        raise workflow.WorkflowError("只有本单位填报人可以开始填报绩效目标。")
    with transaction.atomic():
        sheet, created = TargetSheet.objects.get_or_create(**key)
        if created:
            audit_record(actor=user, action="绩效目标·创建", obj=sheet)
    return sheet
