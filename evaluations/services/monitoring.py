"""绩效运行监控 (“双监控”): monitoring rounds, the 监控表 (MonitoringSheet) and its lines, their
workflow and 需整改. The lights are computed by `lights` (pure) and stored here on every save.

- A round belongs to a year and to finance as a whole (like the year's 自评开启): any reviewer or
  an administrator opens one; opening creates a sheet for every project whose 绩效目标 is
  approved and for every department whose 部门整体 targets are approved, with one line per
  indicator. Targets approved later get their sheets by `monitoring_round_fill` (补充生成).
- The 监控表 goes through the forms' workflow (`workflow`, `transitions.form_transition`); its
  deadline is the round's 报送截止日期; closing the round (`monitoring_round_set_open`) stops
  editing and submitting until it is reopened.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse

from budgets.access import Role, access_for, can_act
from budgets.models import DepartmentBudget, FiscalYear
from budgets.notifications import notify, unit_users
from core import numbers
from core.audit import audit_record, audit_records
from core.errors import UserError

from .. import lights, rules, workflow
from ..models import (
    DeviationCategory,
    FormState,
    Indicator,
    Likelihood,
    MonitoringLine,
    MonitoringRound,
    MonitoringSheet,
    RectificationState,
    TargetSheet,
)
from .common import id_chunks
from .transitions import FormProblems, bump_version, form_transition, person

BATCH = 2000
LINE_FIELDS = (
    "actual_to_date",
    "predicted_value",
    "likelihood",
    "deviation_category",
    "deviation_reason",
    "measures",
)
AMOUNT_FIELDS = ("executed_to_date", "predicted_execution")
SHEET_FIELDS = (*AMOUNT_FIELDS, "execution_reason")


class MonitoringRefused(UserError):
    """A round that cannot be opened or changed as asked (Chinese message)."""


class InputRefused(FormProblems):
    """Values that may not be stored at all (numbers, choices): nothing was saved."""


# ------------------------------------------------------------------------------ rounds


def may_manage_rounds(user) -> bool:
    """Finance (a reviewer of any department) or an administrator."""
    access = access_for(user)
    return access.is_admin or Role.REVIEWER in access.roles()


def _fiscal_year(year) -> FiscalYear:
    if isinstance(year, FiscalYear):
        return year
    found = FiscalYear.objects.filter(year=year).first()
    if found is None:
        raise MonitoringRefused(f"没有{year}年度。")
    return found


def round_problems(
    *, fiscal_year: FiscalYear, name: str, as_of, deadline, exclude: int | None = None
) -> dict[str, list[str]]:
    """What a round's name and dates must meet (Chinese, by field)."""
    problems: dict[str, list[str]] = {}
    if not (name or "").strip():
        problems.setdefault("name", []).append("请填写批次名称")
    elif len(name.strip()) > 100:
        problems.setdefault("name", []).append("批次名称最多100个字")
    if not isinstance(as_of, datetime.date):
        problems.setdefault("as_of", []).append("请填写截至日期")
    elif as_of.year != fiscal_year.year:
        problems.setdefault("as_of", []).append(f"截至日期须在{fiscal_year.year}年内")
    if not isinstance(deadline, datetime.date):
        problems.setdefault("deadline", []).append("请填写报送截止日期")
    elif isinstance(as_of, datetime.date) and deadline < as_of:
        problems.setdefault("deadline", []).append("报送截止日期不能早于截至日期")
    if "as_of" not in problems and (
        MonitoringRound.objects.filter(year=fiscal_year, as_of=as_of).exclude(pk=exclude).exists()
    ):
        problems.setdefault("as_of", []).append(f"{fiscal_year.year}年度已有截至{as_of}的监控批次")
    return problems


class RoundRefused(MonitoringRefused):
    def __init__(self, problems: dict[str, list[str]]):
        self.problems = problems
        super().__init__("；".join(m for ms in problems.values() for m in ms))


def monitoring_round_open(
    *, user, year, name: str, as_of: datetime.date, deadline: datetime.date
) -> MonitoringRound:
    """Open a round (`year`: a FiscalYear or its number, e.g. 2026) and create its sheets for
    every approved target sheet of the year; tell the units. One audit record for the round
    (with the number of sheets created) and one per sheet."""
    if not may_manage_rounds(user):
        raise MonitoringRefused("只有财政审核人或系统管理员可以开启绩效监控。")
    fiscal_year = _fiscal_year(year)
    if problems := round_problems(
        fiscal_year=fiscal_year, name=name, as_of=as_of, deadline=deadline
    ):
        raise RoundRefused(problems)
    try:
        with transaction.atomic():
            round_ = MonitoringRound.objects.create(
                year=fiscal_year,
                name=name.strip(),
                as_of=as_of,
                deadline=deadline,
                opened_by=person(user),
            )
            created = _create_sheets(user, round_)
            audit_record(
                actor=user,
                action="绩效监控·开启批次",
                obj=round_,
                changes={
                    "name": [None, round_.name],
                    "as_of": [None, str(as_of)],
                    "deadline": [None, str(deadline)],
                    "sheets": [0, len(created)],
                },
            )
            _tell_units(round_, created)
    except IntegrityError as exc:  # a concurrent opening of the same date
        raise RoundRefused({"as_of": [f"已有截至{as_of}的监控批次"]}) from exc
    return round_


@dataclass(frozen=True)
class Filled:
    sheets: list[MonitoringSheet]  # the sheets created
    lines: int  # lines added to sheets that had them not (indicators added since)


def monitoring_round_fill(*, user, round: MonitoringRound) -> Filled:
    """补充生成: the sheets of targets approved since the round was opened (those that have
    none yet in it), and the lines of indicators added since (targets reopened, changed and
    approved again) to sheets still with the unit (草稿, 已退回). Nothing twice; audited with the
    numbers, the units of new sheets told."""
    if not may_manage_rounds(user):
        raise MonitoringRefused("只有财政审核人或系统管理员可以补充生成监控表。")
    with transaction.atomic():
        MonitoringRound.objects.select_for_update().get(pk=round.pk)  # one fill at a time
        created = _create_sheets(user, round)
        lines = _add_missing_lines(round)
        if created or lines:
            audit_record(
                actor=user,
                action="绩效监控·补充生成",
                obj=round,
                changes={"sheets": [None, len(created)], "lines": [None, lines]},
            )
            _tell_units(round, created)
    return Filled(created, lines)


def _add_missing_lines(round_: MonitoringRound) -> int:
    """Lines for the approved indicators that an editable sheet of the round lacks: three reads
    (the editable sheets, their lines, the year's approved indicators) and one insert."""
    sheets = {
        (project_id, None if project_id else department_id): pk
        for pk, project_id, department_id in round_.sheets.filter(
            state__in=workflow.EDITABLE
        ).values_list("pk", "project_id", "department_id")
    }
    if not sheets:
        return 0
    have = set(
        MonitoringLine.objects.filter(sheet_id__in=sheets.values()).values_list(
            "sheet_id", "indicator_id"
        )
    )
    lines = []
    for pk, project_id, department_id in (
        Indicator.objects.filter(sheet__year_id=round_.year_id, sheet__state=FormState.APPROVED)
        .order_by("order", "pk")
        .values_list("pk", "sheet__project_id", "sheet__department_id")
    ):
        sheet_id = sheets.get((project_id, None if project_id else department_id))
        if sheet_id is not None and (sheet_id, pk) not in have:
            lines.append(MonitoringLine(sheet_id=sheet_id, indicator_id=pk))
    MonitoringLine.objects.bulk_create(lines, batch_size=BATCH)
    return len(lines)


def monitoring_round_set_open(
    *, user, round: MonitoringRound, is_open: bool, deadline: datetime.date | None = None
) -> MonitoringRound:
    """Close a round's 填报 (no more saving or submitting by units; review goes on) or reopen it,
    optionally with a new 报送截止日期. Audited."""
    if not may_manage_rounds(user):
        raise MonitoringRefused("只有财政审核人或系统管理员可以开启或关闭监控填报。")
    changes: dict = {}
    if deadline is not None and deadline != round.deadline:
        if deadline < round.as_of:
            raise RoundRefused({"deadline": ["报送截止日期不能早于截至日期"]})
        changes["deadline"] = [str(round.deadline), str(deadline)]
        round.deadline = deadline
    if is_open != round.is_open:
        changes["is_open"] = [round.is_open, is_open]
        round.is_open = is_open
    if not changes:
        return round
    with transaction.atomic():
        round.save(update_fields=["is_open", "deadline"])
        action = "绩效监控·重新开启填报" if is_open else "绩效监控·关闭填报"
        if "is_open" not in changes:
            action = "绩效监控·修改截止日期"
        audit_record(actor=user, action=action, obj=round, changes=changes)
    return round


def _approved_targets(fiscal_year: FiscalYear, round_: MonitoringRound) -> list[TargetSheet]:
    have_projects = set(round_.sheets.exclude(project=None).values_list("project_id", flat=True))
    have_departments = set(
        round_.sheets.filter(project=None).values_list("department_id", flat=True)
    )
    sheets = (
        TargetSheet.objects.filter(year=fiscal_year, state=FormState.APPROVED)
        .select_related("project", "department")
        .order_by("department_id", "project_id", "pk")
    )
    return [
        s
        for s in sheets
        if (s.project_id and s.project_id not in have_projects)
        or (s.project_id is None and s.department_id not in have_departments)
    ]


def _create_sheets(user, round_: MonitoringRound) -> list[MonitoringSheet]:
    """One sheet per approved target sheet without one in the round, one line per indicator,
    全年预算数 copied; a fixed number of queries whatever their number."""
    targets = _approved_targets(round_.year, round_)
    if not targets:
        return []
    budgets = {
        b.department_id: b
        for b in DepartmentBudget.objects.filter(
            year_id=round_.year_id,
            department_id__in={t.department_id for t in targets if t.project_id is None},
        )
    }
    sheets = MonitoringSheet.objects.bulk_create(
        [
            MonitoringSheet(
                round=round_,
                year_id=round_.year_id,
                department_id=t.department_id,
                project_id=t.project_id,
                annual_budget=_annual_budget(t, budgets),
            )
            for t in targets
        ],
        batch_size=BATCH,
    )
    by_target = {t.pk: s for t, s in zip(targets, sheets, strict=True)}
    lines = [
        MonitoringLine(sheet=by_target[target_id], indicator_id=indicator_id)
        for chunk in id_chunks(list(by_target))
        for target_id, indicator_id in Indicator.objects.filter(sheet_id__in=chunk)
        .order_by("order", "pk")
        .values_list("sheet_id", "pk")
    ]
    MonitoringLine.objects.bulk_create(lines, batch_size=BATCH)
    for target, sheet in zip(targets, sheets, strict=True):  # names for the audit's object_repr
        sheet.round, sheet.project, sheet.department = round_, target.project, target.department
    audit_records(actor=user, action="绩效监控表·创建", objs=sheets)
    return sheets


def _annual_budget(target: TargetSheet, budgets: dict[int, DepartmentBudget]) -> Decimal | None:
    if target.project_id:
        return target.project.full_total
    budget = budgets.get(target.department_id)
    return budget.income_total("full") if budget else None


def _tell_units(round_: MonitoringRound, sheets: list[MonitoringSheet]) -> None:
    """Each unit with new sheets hears once (after commit)."""
    by_department: dict[int, int] = {}
    for sheet in sheets:
        by_department[sheet.department_id] = by_department.get(sheet.department_id, 0) + 1
    users = unit_users(list(by_department))
    for department_id, count in by_department.items():
        notify(
            users.get(department_id, set()),
            kind="monitoring",
            title=f"请填报绩效运行监控：{round_.name}",
            body=(
                f"{round_.name}已开启（截至{round_.as_of:%Y年%m月%d日}），本单位有{count}张"
                f"绩效目标执行监控表待填报，报送截止日期{round_.deadline:%Y年%m月%d日}。"
            ),
            url=reverse("monitoring") + f"?round={round_.pk}",
        )


# ------------------------------------------------------------------------------ the sheet


def lines_of(sheet: MonitoringSheet) -> list[MonitoringLine]:
    return list(
        sheet.lines.select_related("indicator__category__parent").order_by(
            "indicator__order", "indicator_id"
        )
    )


def editing_refusal(user, sheet: MonitoringSheet) -> str | None:
    """Why this user may not edit this sheet now (Chinese), or None (`rules`)."""
    return rules.monitoring_editing_refusal(
        round_open=sheet.round.is_open,
        may_edit=workflow.can_edit(user, sheet),
        state_label=sheet.get_state_display(),
        overdue_since=workflow.deadline_of(sheet) if workflow.is_overdue(sheet) else None,
    )


def _thresholds(sheet: MonitoringSheet) -> tuple[Decimal, Decimal]:
    return sheet.year.monitoring_yellow_gap, sheet.year.monitoring_red_gap


def compute_funds_light(sheet: MonitoringSheet) -> str:
    yellow, red = _thresholds(sheet)
    return lights.funds_light(
        annual_budget=sheet.annual_budget,
        executed_to_date=sheet.executed_to_date,
        predicted_execution=sheet.predicted_execution,
        as_of=sheet.round.as_of,
        yellow_gap=yellow,
        red_gap=red,
    )


def compute_lights(sheet: MonitoringSheet, lines: list[MonitoringLine]) -> None:
    """Set the lights on the in-memory sheet and lines (`lights` decides)."""
    for line in lines:
        line.light = lights.line_light(line.likelihood)
    sheet.funds_light = compute_funds_light(sheet)
    sheet.light = lights.worst([sheet.funds_light, *(line.light for line in lines)])


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _line_input(line: MonitoringLine) -> rules.MonitoringLineInput:
    indicator = line.indicator
    return rules.MonitoringLineInput(
        comparator=indicator.comparator,
        unit=indicator.unit,
        **{name: getattr(line, name) for name in LINE_FIELDS},
    )


def _line_problems(line: MonitoringLine, *, final: bool) -> list[str]:
    months = f"1–{line.sheet.round.months}月"  # “1–N月” as the page says it: 1–7月
    return [m.replace("1–N月", months) for m in _rule_messages(line, final=final)]


def _rule_messages(line: MonitoringLine, *, final: bool) -> list[str]:
    return rules.messages(
        rules.monitoring_line_problems(
            _line_input(line),
            likelihoods=Likelihood.values,
            categories=DeviationCategory.values,
            light=lights.line_light(line.likelihood),
            final=final,
        )
    )


def _funds_problems(sheet: MonitoringSheet, *, final: bool) -> rules.Problems:
    problems = rules.monitoring_funds_problems(
        executed_to_date=sheet.executed_to_date,
        predicted_execution=sheet.predicted_execution,
        execution_reason=sheet.execution_reason,
        light=compute_funds_light(sheet),
        final=final,
    )
    months = f"1–{sheet.round.months}月"
    return {k: [m.replace("1–N月", months) for m in ms] for k, ms in problems.items()}


def _read_amount(name: str, typed, sheet: MonitoringSheet) -> Decimal | None:
    field = MonitoringSheet._meta.get_field(name)
    label = str(field.verbose_name).replace("N", str(sheet.round.months))
    if isinstance(typed, str):
        typed = typed.strip().removesuffix("万元").strip()
    return numbers.read(typed, field, label=label)


def _apply(
    sheet: MonitoringSheet, lines: list[MonitoringLine], funds: dict, typed_lines: dict
) -> tuple[dict, rules.Problems, dict[int, list[str]]]:
    """Put the typed values on the in-memory sheet and lines. Returns (audit diff, refused
    sheet fields, refused lines): values no draft may hold (the number rule, choices)."""
    changes: dict = {}
    refused: rules.Problems = {}
    refused_lines: dict[int, list[str]] = {}
    for name in AMOUNT_FIELDS:
        if name not in funds:
            continue
        try:
            value = _read_amount(name, funds[name], sheet)
        except numbers.NumberRefused as error:
            refused.setdefault(name, []).append(str(error))
            continue
        if value != getattr(sheet, name):
            changes[name] = [_s(getattr(sheet, name)), _s(value)]
            setattr(sheet, name, value)
    if "execution_reason" in funds:
        reason = _text(funds["execution_reason"])
        label = "预算执行偏差原因"
        if problem := rules.text_too_long(label, rules.EXECUTION_REASON_LIMIT, reason):
            refused.setdefault("execution_reason", []).append(problem)
        if reason != sheet.execution_reason:
            changes["execution_reason"] = [sheet.execution_reason, reason]
            sheet.execution_reason = reason
    if not refused:
        for name in AMOUNT_FIELDS:
            if problem := numbers.execution_refusal(sheet.annual_budget, getattr(sheet, name)):
                label = str(MonitoringSheet._meta.get_field(name).verbose_name)
                label = label.replace("N", str(sheet.round.months))
                refused.setdefault(name, []).append(problem.replace("全年执行数合计", label))
    by_id = {line.pk: line for line in lines}
    for pk, values in typed_lines.items():
        line = by_id.get(_as_int(pk))
        if line is None:
            continue  # not a line of this sheet: nothing of another sheet is ever written
        new = {name: _text(values[name]) for name in LINE_FIELDS if name in values}
        diff = {k: [getattr(line, k), v] for k, v in new.items() if getattr(line, k) != v}
        for name, value in new.items():
            setattr(line, name, value)
        if problems := _line_problems(line, final=False):
            refused_lines[line.pk] = problems
        if diff:
            changes.setdefault("lines", {})[line.indicator.name] = diff
    return changes, refused, refused_lines


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _s(value) -> str | None:
    return None if value is None else str(value)


def monitoring_sheet_save(
    *, user, sheet: MonitoringSheet, version: int, funds: dict, lines: dict[int, dict]
) -> MonitoringSheet:
    """Save a draft 监控表: funds (`executed_to_date`, `predicted_execution` as typed or
    Decimals, `execution_reason`) and lines ({MonitoringLine id: {field: value}}); keys left
    out are left as stored. Values no draft may hold (numbers, choices) raise InputRefused with
    per-field and per-line messages and nothing is saved; the lights are stored; one audit record
    with old → new. The rules only submission asks for (every value, 偏差原因 for yellow/red)
    are `monitoring_sheet_validate`'s."""
    if refusal := editing_refusal(user, sheet):
        raise workflow.WorkflowError(refusal)
    with transaction.atomic():
        bump_version(sheet, version, filled_by=person(user))
        stored = lines_of(sheet)
        changes, refused, refused_lines = _apply(sheet, stored, funds, lines)
        if refused or refused_lines:  # inside the transaction: the version bump rolls back too
            error = InputRefused(rules.messages(refused), refused_lines)
            error.fields = refused
            raise error
        old_lights = (sheet.light, sheet.funds_light)
        compute_lights(sheet, stored)
        sheet.save(update_fields=[*SHEET_FIELDS, "light", "funds_light"])
        MonitoringLine.objects.bulk_update(stored, [*LINE_FIELDS, "light"], batch_size=BATCH)
        if old_lights != (sheet.light, sheet.funds_light):
            changes["light"] = [old_lights[0], sheet.light]
        if changes:
            audit_record(actor=user, action="绩效监控表·保存", obj=sheet, changes=changes)
    return sheet


def monitoring_sheet_validate(sheet: MonitoringSheet) -> None:
    """What submission requires; FormProblems names the offending lines."""
    funds = _funds_problems(sheet, final=True)
    lines = {line.pk: ms for line in lines_of(sheet) if (ms := _line_problems(line, final=True))}
    general = rules.messages(funds)
    if not sheet.lines.exists():
        general.append("没有可监控的绩效指标")
    if general or lines:
        error = FormProblems(general, lines)
        error.fields = funds
        raise error


def monitoring_sheet_transition(
    *,
    sheet: MonitoringSheet,
    user,
    action: str,
    reason: str = "",
    line_comments: dict[int, str] | None = None,
    version: int | None = None,
) -> MonitoringSheet:
    """提交, 确认送审, 撤回, 退回 (with a reason or 本行审核意见), 审核通过, 重新打开: the forms'
    workflow. The unit may not submit into a closed round or past the 报送截止日期."""
    if action == "submit" and (refusal := editing_refusal(user, sheet)):
        raise workflow.WorkflowError(refusal)
    comments = {k: v for k, v in (line_comments or {}).items() if v and v.strip()}
    with transaction.atomic():
        form_transition(
            form=sheet,
            user=user,
            action=action,
            reason=reason,
            line_comments=comments,
            validate=monitoring_sheet_validate,
            version=version,
        )
    return sheet


# ------------------------------------------------------------------------------ 需整改


@dataclass(frozen=True)
class Target:
    """What a 整改 step acts on: the sheet itself, or one of its lines."""

    sheet: MonitoringSheet
    line: MonitoringLine | None = None

    @property
    def obj(self):
        return self.line if self.line is not None else self.sheet

    @property
    def label(self) -> str:
        return f"指标“{self.line.indicator.name}”" if self.line is not None else "本表"


def monitoring_rectification(
    *,
    user,
    sheet: MonitoringSheet,
    action: str,
    text: str = "",
    line: MonitoringLine | None = None,
    version: int | None = None,
) -> MonitoringSheet:
    """One 整改 step on the sheet or one of its lines (`workflow.RECTIFICATIONS`): finance
    `require`s (整改要求和建议), the unit `answer`s (整改结果), finance `close`s it or `reject`s
    the answer (back to 待整改 with a note). Checked on the server, audited, the sheet's version
    bumped (a page showing the old state is refused), the other side told."""
    if line is not None and line.sheet_id != sheet.pk:
        raise workflow.WorkflowError("该指标不属于本监控表。")
    target = Target(sheet, line)
    step = workflow.check_rectification(user, action, sheet, target.obj, text)
    obj = target.obj
    old = obj.rectification_state
    changes: dict = {"rectification_state": [old, step.result]}
    updates: dict = {"rectification_state": step.result}
    text = text.strip()
    if action == "require":
        updates["rectification_request"] = text
        updates["rectification_result"] = ""
        changes["rectification_request"] = [obj.rectification_request, text]
    elif action == "answer":
        updates["rectification_result"] = text
        changes["rectification_result"] = [obj.rectification_result, text]
    with transaction.atomic():
        bump_version(sheet, sheet.version if version is None else version)
        type(obj).objects.filter(pk=obj.pk).update(**updates)
        for name, value in updates.items():
            setattr(obj, name, value)
        audit_record(
            actor=user,
            action=f"绩效监控表·{step.label}",
            obj=sheet,
            changes={"target": target.label, **changes},
            reason=text,
        )
        _tell_rectification(sheet, target, step, text)
    return sheet


def _tell_rectification(sheet, target: Target, step, text: str) -> None:
    url = reverse("monitoring_sheet", args=[sheet.pk])
    if step.name in ("require", "reject"):
        users = unit_users([sheet.department_id]).get(sheet.department_id, set())
        what = "需整改" if step.name == "require" else "整改结果未通过，请继续整改"
        notify(
            users,
            kind="rectification",
            title=f"绩效监控{what}：{sheet.title}",
            body=f"{sheet.round.name}“{sheet.title}”{target.label}{what}。\n{text}",
            url=url,
        )


def rectification_open(sheet: MonitoringSheet, lines: list[MonitoringLine]) -> bool:
    """Whether a 整改 of the sheet or a line waits for someone."""
    pending = (RectificationState.REQUIRED, RectificationState.ANSWERED)
    return sheet.rectification_state in pending or any(
        line.rectification_state in pending for line in lines
    )


def as_reviewer(user, sheet: MonitoringSheet) -> bool:
    return can_act(user, Role.REVIEWER, sheet.department_id)
