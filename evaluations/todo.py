"""待办: what waits for this user, by role, at the top of the home page.

- 单位填报人: forms to fill (targets not submitted, self-evaluations not started or draft, each with
  its deadline), returned forms with the reason, 目标调整 decided in the last days.
- 单位负责人: forms waiting for his confirmation (待负责人确认).
- 主管部门审核人: his 所属单位's forms waiting for him (待主管部门审核), the longest waiting first.
- 财政审核人: self-evaluations past their deadline (to chase or extend), then forms and 目标调整
  waiting for him, the longest waiting first — the 审核工作台's own query.
- 系统管理员: years not set up, and what the higher apps report (failed import and export jobs):
  `imports` and `reporting` sit above this app, so they register a source here in their
  AppConfig.ready() instead of being imported (the layer rule).

A fixed number of queries whatever the number of forms; each list shows its first LIMIT entries
and links to the rest.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.db.models import DateField, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from budgets.access import Role, access_for
from budgets.models import Department, FiscalYear, Project

from . import selectors, spot_check_selectors, workflow
from .models import (
    FormState,
    IndicatorCategory,
    MonitoringLine,
    MonitoringSheet,
    NoticeState,
    RectificationNotice,
    RectificationState,
    SelfEvaluation,
    TargetAdjustment,
    TargetSheet,
    form_title,
)

LIMIT = 10
# A decided 目标调整 stays on the clerk's list this long (the decision is also on the sheet).
DECIDED_SHOWN_DAYS = 30
# A failed job stays on the administrator's list this long (the job lists keep them all).
FAILED_SHOWN_DAYS = 7


@dataclass
class Entry:
    text: str  # what to do, on what
    url: str = ""  # where it is done (a page), or
    start: tuple[str, dict] | None = None  # a form to start: (url name, hidden fields) posted
    note: str = ""  # the reason, the deadline, the decision
    late: bool = False
    tag: str = ""  # a short label before the text (绩效目标, 目标调整, …)
    deadline: datetime.date | None = None  # a form's deadline (the daily reminder reads it)
    department_id: int | None = None  # whose form it is


@dataclass
class Section:
    key: str
    title: str
    entries: list[Entry]
    total: int = 0  # how many there are (entries holds the first LIMIT)
    more_url: str = ""  # where all of them are
    summary: str = ""

    @property
    def hidden(self) -> int:
        return self.total - len(self.entries)


@dataclass
class Todo:
    sections: list[Section] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(s.entries for s in self.sections)


# The administrator's sources from the higher apps: each takes the user and returns sections
# (one query each, whatever the number of jobs).
AdminSource = Callable[[object], list[Section]]
ADMIN_SOURCES: dict[str, AdminSource] = {}


def register_admin_source(key: str, source: AdminSource) -> None:
    ADMIN_SOURCES[key] = source


def todo_for(user, fiscal_year: FiscalYear | None, today: datetime.date | None = None) -> Todo:
    today = today or timezone.localdate()
    access = access_for(user)
    todo = Todo()
    if access.is_admin:
        todo.sections.append(_years_not_set_up())
        for source in ADMIN_SOURCES.values():
            todo.sections.extend(source(user))
    if fiscal_year is None:
        return todo
    clerk = access.by_role.get(Role.CLERK, frozenset())
    head = access.by_role.get(Role.HEAD, frozenset())
    if clerk or head:
        todo.sections.extend(_unit(fiscal_year, clerk, head, today))
        # 整改通知 are listed only when there are any (most units never get one)
        todo.sections += _present(_notices_open(fiscal_year, clerk | head, today))
    if Role.SUPERVISOR in access.roles():
        todo.sections.append(_supervisor(user, fiscal_year))
    if Role.REVIEWER in access.roles():
        todo.sections.extend(_reviewer(user, fiscal_year))
        reviewed = access.by_role[Role.REVIEWER]
        todo.sections += _present(_notices_answered(fiscal_year, reviewed, today))
    return todo


# --- the unit: clerk and head


def _unit(fiscal_year: FiscalYear, clerk: frozenset, head: frozenset, today) -> list[Section]:
    ids = clerk | head
    states = [FormState.DRAFT, FormState.RETURNED, FormState.PENDING_HEAD]
    forms = _unit_forms(fiscal_year, ids, states)
    sections = []
    if clerk:
        mine = [f for f in forms if f.department_id in clerk]
        rectify = _rectifications(fiscal_year, clerk, RectificationState.REQUIRED)
        sections += [
            _returned([f for f in mine if f.state == FormState.RETURNED], today),
            _to_fill(fiscal_year, clerk, [f for f in mine if f.state == FormState.DRAFT], today),
            *([rectify] if rectify.entries else []),  # shown only when there is a 整改
            _decided(fiscal_year, clerk),
        ]
    if head:
        waiting = [
            f for f in forms if f.department_id in head and f.state == FormState.PENDING_HEAD
        ]
        waiting.sort(key=lambda f: (f.submitted_at or timezone.now(), f.pk))
        sections.append(
            _limited(
                "confirm",
                "待您确认送审",
                [
                    Entry(
                        f.title,
                        url=f.url,
                        tag=LABELS[f.kind],
                        note=f"{f.department_name}"
                        + (f" · {_local(f.submitted_at):%Y-%m-%d} 提交" if f.submitted_at else ""),
                    )
                    for f in waiting
                ],
            )
        )
    return sections


def unit_entries(
    fiscal_year: FiscalYear, ids: frozenset, today: datetime.date | None = None
) -> list[Entry]:
    """Every form of these departments still with the unit (returned, draft, not started), each
    with its deadline and department, uncapped: what the deadline reminder and 催办 list. The
    queries of the 待办's unit part, a fixed number."""
    today = today or timezone.localdate()
    forms = _unit_forms(fiscal_year, ids, list(workflow.EDITABLE))
    returned = [f for f in forms if f.state == FormState.RETURNED]
    drafts = [f for f in forms if f.state == FormState.DRAFT]
    return _returned_entries(returned, today) + _fill_entries(fiscal_year, ids, drafts, today)


@dataclass
class UnitForm:
    """A unit's form as the 待办 lists it, read as columns (a clerk of the whole city has
    thousands): what it is, its title and link, its state, deadline and dates."""

    kind: str  # "targets" | "evaluation" | "monitoring"
    pk: int
    state: str
    department_id: int
    department_name: str
    title: str
    deadline: datetime.date | None
    review_comment: str
    submitted_at: datetime.datetime | None
    updated_at: datetime.datetime

    @property
    def url(self) -> str:
        return reverse(_FORM_PAGES[self.kind], args=[self.pk])


_FORM_PAGES = {
    "targets": "target_sheet",
    "evaluation": "evaluation",
    "monitoring": "monitoring_sheet",
}
_KINDS = ("targets", "evaluation", "monitoring")


def _unit_forms(fiscal_year: FiscalYear, ids: frozenset, states: list) -> list[UnitForm]:
    """The unit's forms of the year in these states: target sheets, self-evaluations and the
    监控表 of rounds still open for filling (one query, the three kinds' columns combined)."""
    no_date = Cast(Value(None), DateField())
    parts = [
        (TargetSheet.objects.all(), no_date),
        (SelfEvaluation.objects.all(), F("deadline_extension")),
        (MonitoringSheet.objects.filter(round__is_open=True), F("round__deadline")),
    ]
    rows = selectors.combined(
        [
            queryset.filter(year=fiscal_year, department_id__in=ids, state__in=states)
            .annotate(u_kind=Value(code), u_date=own_date)
            .order_by()
            .values_list(
                "u_kind",
                "pk",
                "state",
                "department_id",
                "department__name",
                "project__name",
                "review_comment",
                "submitted_at",
                "updated_at",
                "u_date",
            )
            for code, (queryset, own_date) in enumerate(parts)
        ]
    )
    forms = []
    # by kind, then id: the order ties keep in the lists (a project's 自评 before its 监控表)
    for row in sorted(rows, key=lambda row: row[:2]):
        code, pk, state, department_id, department, project, comment, submitted, updated, own = row
        kind = _KINDS[code]
        if kind == "targets":
            deadline = workflow.year_deadline(fiscal_year, "targets")
        elif kind == "evaluation":  # own: the department's extension
            deadline = workflow.evaluation_deadline(fiscal_year, own)
        else:  # own: the round's 报送截止日期
            deadline = own
        forms.append(
            UnitForm(
                kind,
                pk,
                state,
                department_id,
                department,
                form_title(project, department),
                deadline,
                comment,
                submitted,
                updated,
            )
        )
    return forms


def _rectifications(fiscal_year: FiscalYear, ids: frozenset | None, state: str) -> Section:
    """监控表 with a 整改 (of the sheet or of a line) in `state`: 待整改 for the unit to answer,
    已答复 for finance to close. One query."""
    sheets = MonitoringSheet.objects.filter(year=fiscal_year)
    if ids is not None:  # None: an administrator's, every department's
        sheets = sheets.filter(department_id__in=ids)
    sheets = (
        sheets.filter(
            Q(rectification_state=state)
            | Exists(MonitoringLine.objects.filter(sheet=OuterRef("pk"), rectification_state=state))
        )
        .select_related("department", "project", "round")
        .only("department__name", "project__name", "round__name")
        .order_by("round__as_of", "department__code", "pk")
    )
    entries = [
        Entry(
            f"{s.round.name} · {s.title}",
            url=reverse("monitoring_sheet", args=[s.pk]) + "#rectification",
            tag="整改",
            note=s.department.name,
            department_id=s.department_id,
        )
        for s in sheets
    ]
    if state == RectificationState.REQUIRED:
        return _limited("rectify", "需整改，待答复整改结果", entries)
    return _limited("rectified", "整改结果待确认", entries)


def _to_fill(fiscal_year: FiscalYear, ids: frozenset, drafts: list, today) -> Section:
    """The first LIMIT of what is to fill, built; the others only counted (a clerk of the whole
    city has thousands)."""
    candidates = _fill_candidates(fiscal_year, ids, drafts, today)
    return Section(
        "fill",
        "待填报",
        [build() for _, build in candidates[:LIMIT]],
        total=len(candidates),
        more_url="#overview",
    )


def _fill_entries(fiscal_year: FiscalYear, ids: frozenset, drafts: list, today) -> list[Entry]:
    return [build() for _, build in _fill_candidates(fiscal_year, ids, drafts, today)]


def _fill_candidates(
    fiscal_year: FiscalYear, ids: frozenset, drafts: list, today
) -> list[tuple[tuple, Callable[[], Entry]]]:
    """Drafts, and the forms not started yet: a project's or a department's target sheet, and
    its self-evaluation once the targets are approved and the year's self-evaluation is open.
    Self-evaluations first, the nearest deadline (or the most overdue) first: sorted by their
    keys, each with the function that builds its entry (only the shown ones are built)."""
    candidates: list[tuple[tuple, Callable[[], Entry]]] = []
    for form in drafts:
        late = workflow.overdue(form.state, form.deadline, today)
        candidates.append((_order(form, late), partial(_fill_entry, form, late, today)))
    starts = {}
    for kind in ("targets", "evaluation"):
        deadline = workflow.year_deadline(fiscal_year, kind)
        starts[kind] = (deadline, *_deadline_note(deadline, today))
    evaluation_open = fiscal_year.evaluation_open
    approved = Q(target_sheet__state=FormState.APPROVED)
    for project in (
        Project.objects.filter(year=fiscal_year, department_id__in=ids)
        .filter(
            Q(target_sheet__isnull=True)
            | (approved & Q(self_evaluation__isnull=True) if evaluation_open else Q(pk=None))
        )
        .order_by("department__code", "code")
        .values_list("pk", "name", "department_id", "target_sheet")
    ):
        pk, name, department_id, sheet = project
        has_sheet = sheet is not None
        candidates.append(_start_candidate(name, {"project": pk}, department_id, has_sheet, starts))
    sheets = TargetSheet.objects.filter(
        year=fiscal_year, project=None, department_id=OuterRef("pk")
    )
    for department in (
        Department.objects.filter(id__in=ids, is_active=True)
        .annotate(
            has_sheet=Exists(sheets),
            approved=Exists(sheets.filter(state=FormState.APPROVED)),
            has_evaluation=Exists(
                SelfEvaluation.objects.filter(
                    year=fiscal_year, project=None, department_id=OuterRef("pk")
                )
            ),
        )
        .filter(Q(has_sheet=False) | Q(approved=True, has_evaluation=False))
        .order_by("code")
        .values_list("pk", "name", "has_sheet")
    ):
        pk, name, has_sheet = department
        if has_sheet and not evaluation_open:
            continue
        fields = {"department": pk, "year": fiscal_year.pk}
        title = form_title(None, name)
        candidates.append(_start_candidate(title, fields, pk, has_sheet, starts))
    candidates.sort(key=lambda pair: pair[0])
    return candidates


def _deadline_note(deadline: datetime.date | None, today: datetime.date) -> tuple[str, bool]:
    if deadline is None:
        return "", False
    days = (deadline - today).days
    if days < 0:
        return f"截止 {deadline:%Y-%m-%d}，已逾期 {-days} 天", True
    if days == 0:
        return f"截止 {deadline:%Y-%m-%d}，今天截止", False
    return f"截止 {deadline:%Y-%m-%d}，还剩 {days} 天", False


def _fill_entry(form: UnitForm, late: bool, today) -> Entry:
    note, _ = _deadline_note(form.deadline, today)
    return Entry(
        form.title,
        url=form.url,
        tag=LABELS[form.kind],
        note=" · ".join(filter(None, ["草稿", note])),
        late=late,
        deadline=form.deadline,
        department_id=form.department_id,
    )


def _start_candidate(
    title: str, fields: dict, department_id: int, has_sheet: bool, starts: dict
) -> tuple[tuple, Callable[[], Entry]]:
    """A form not started of a project or a department: its target sheet, or (it has one, then
    approved) its self-evaluation. `starts`: each kind's deadline, note and lateness (the
    year's, the same for every form)."""
    kind = "evaluation" if has_sheet else "targets"
    deadline, note, late = starts[kind]
    if kind == "targets":
        key = (2, deadline or datetime.date.max, 1, title)
    else:
        key = (0 if late else 1, deadline or datetime.date.max, 1, title)

    def build() -> Entry:
        return Entry(
            title,
            start=("evaluation_start" if kind == "evaluation" else "target_sheet_start", fields),
            tag=LABELS[kind],
            note=" · ".join(filter(None, ["未开始", note])),
            late=late,
            deadline=deadline,
            department_id=department_id,
        )

    return key, build


def _order(form: UnitForm, late: bool) -> tuple:
    """Self-evaluations first, the most overdue or nearest deadline first; a form already started
    before one not started; then target sheets, by their deadline likewise."""
    if form.kind != "targets":
        return (0 if late else 1, form.deadline or datetime.date.max, 0, form.title)
    return (2, form.deadline or datetime.date.max, 0, form.title)


def _returned(forms: list[UnitForm], today) -> Section:
    """The most recently returned first; the first LIMIT built, the others counted."""
    forms.sort(key=lambda f: (f.updated_at, f.pk), reverse=True)
    return Section(
        "returned",
        "被退回，待修改后重新提交",
        [_returned_entry(form, today) for form in forms[:LIMIT]],
        total=len(forms),
        more_url="#overview",
    )


def _returned_entries(forms: list[UnitForm], today) -> list[Entry]:
    forms.sort(key=lambda f: (f.updated_at, f.pk), reverse=True)
    return [_returned_entry(form, today) for form in forms]


def _returned_entry(form: UnitForm, today) -> Entry:
    note, _ = _deadline_note(form.deadline, today)
    reason = form.review_comment.strip() or "（未写原因）"
    return Entry(
        form.title,
        url=form.url,
        tag=LABELS[form.kind],
        note=" · ".join(filter(None, [f"退回原因：{reason}", note])),
        late=workflow.overdue(form.state, form.deadline, today),
        deadline=form.deadline,
        department_id=form.department_id,
    )


def _decided(fiscal_year: FiscalYear, ids: frozenset) -> Section:
    since = timezone.now() - datetime.timedelta(days=DECIDED_SHOWN_DAYS)
    adjustments = (
        TargetAdjustment.objects.filter(
            indicator__sheet__year=fiscal_year,
            indicator__sheet__department_id__in=ids,
            decided_at__gte=since,
        )
        .exclude(state=TargetAdjustment.State.PENDING)
        .select_related("indicator__sheet__department", "indicator__sheet__project")
        .only(
            "state",
            "old_value",
            "new_value",
            "decision_comment",
            "decided_at",
            "indicator__name",
            "indicator__sheet__department__name",
            "indicator__sheet__project__name",
        )
        .order_by("-decided_at", "-id")
    )
    entries = []
    for a in adjustments:
        sheet = a.indicator.sheet
        verdict = a.get_state_display()
        comment = a.decision_comment.strip()
        entries.append(
            Entry(
                f"{sheet.title} · {a.indicator.name}：{a.old_value} → {a.new_value}",
                url=reverse("target_sheet", args=[sheet.pk]) + f"#adjustment-{a.pk}",
                tag="目标调整",
                note=f"{verdict}（{_local(a.decided_at):%Y-%m-%d}）"
                + (f"：{comment}" if comment else ""),
                late=a.state == TargetAdjustment.State.REJECTED,
            )
        )
    return _limited("decided", f"目标调整已审批（近{DECIDED_SHOWN_DAYS}天）", entries)


def _notices_open(fiscal_year: FiscalYear, ids: frozenset, today) -> Section:
    """整改通知 waiting for the unit's answer (待整改, 退回重新整改), the most overdue first. One
    query."""
    notices = (
        RectificationNotice.objects.filter(
            year=fiscal_year, department_id__in=ids, state__in=workflow.NOTICE_OPEN
        )
        .select_related("department")
        .order_by("due_date", "id")
    )
    entries = []
    for n in notices:
        late = workflow.notice_overdue_days(n, today)
        due, _ = _deadline_note(n.due_date, today)
        note = [n.department.name, f"依据：{n.basis}", due.replace("截止", "整改期限", 1)]
        if n.state == NoticeState.RETURNED and n.return_reason:
            note.insert(1, f"退回原因：{n.return_reason}")
        entries.append(
            Entry(
                n.title,
                url=reverse("rectification", args=[n.pk]),
                tag="整改通知",
                note=" · ".join(note),
                late=bool(late),
                deadline=n.due_date,
                department_id=n.department_id,
            )
        )
    more = f"{reverse('rectifications')}?{urlencode({'year': fiscal_year.year})}"
    return _limited("notices", "整改通知，待提交整改情况", entries, more_url=more)


# --- finance


def _notices_answered(fiscal_year: FiscalYear, ids: frozenset, today) -> Section:
    """整改通知 the units answered, waiting for finance to close or send back, the longest waiting
    first. One query."""
    notices = (
        RectificationNotice.objects.filter(
            year=fiscal_year, department_id__in=ids, state=NoticeState.ANSWERED
        )
        .select_related("department")
        .order_by("answered_at", "id")
    )
    entries = [
        Entry(
            n.title,
            url=reverse("rectification", args=[n.pk]),
            tag="整改通知",
            note=f"{n.department.name} · {_local(n.answered_at):%Y-%m-%d %H:%M} 提交整改情况"
            if n.answered_at
            else n.department.name,
        )
        for n in notices
    ]
    query = urlencode({"year": fiscal_year.year, "state": NoticeState.ANSWERED})
    more = f"{reverse('rectifications')}?{query}"
    return _limited("notices_answered", "整改情况待确认", entries, more_url=more)


def _reviewer(user, fiscal_year: FiscalYear) -> list[Section]:
    """The 审核工作台's default view (one count query, one query for the first rows) and the
    self-evaluations past their deadline, counted by the same query."""
    result = selectors.review_list(user, fiscal_year, state=FormState.SUBMITTED)
    queue = reverse("review_queue")
    year = {"year": fiscal_year.year}
    sections = []
    if result["overdue_all"]:
        late = Entry(
            f"{result['overdue_all']} 份表单已过截止日期仍未提交",
            url=f"{queue}?{urlencode({**year, 'state': '', 'overdue': 1})}",
            tag="逾期",
            note="催办，或为单位延期",
            late=True,
        )
        sections.append(Section("overdue", "逾期未提交", [late], total=1))
    entries = []
    for row in result["rows"][:LIMIT]:
        since = row.waiting_since
        if row.adjustment is not None:
            a = row.adjustment
            entries.append(
                Entry(
                    f"{row.form.title} · 指标：{a.indicator.name}",
                    url=reverse("target_sheet", args=[row.form.pk]) + f"#adjustment-{a.pk}",
                    tag="目标调整",
                    note=f"{row.form.department.name} · {_local(since):%Y-%m-%d %H:%M} 申请",
                )
            )
        else:
            entries.append(
                Entry(
                    row.form.title,
                    url=form_url(row.form),
                    tag=row.kind_label,
                    note=" · ".join(
                        filter(
                            None,
                            [
                                row.form.department.name,
                                since and f"{_local(since):%Y-%m-%d %H:%M} 提交",
                            ],
                        )
                    ),
                )
            )
    counts = result["counts"]
    sections.append(
        Section(
            "review",
            "待审核",
            entries,
            total=result["rows"].count(),
            more_url=f"{queue}?{urlencode(year)}",
            summary=f"表单 {counts[FormState.SUBMITTED]} 份，"
            f"目标调整 {result['adjustments']['pending']} 项",
        )
    )
    access = access_for(user)
    reviewed = access.by_role.get(Role.REVIEWER, frozenset())
    answered = _rectifications(
        fiscal_year, None if access.is_admin else reviewed, RectificationState.ANSWERED
    )
    if answered.entries:  # shown only when there is an answer to close
        sections.append(answered)
    rechecks = _rechecks(user, fiscal_year)
    if rechecks.entries:
        sections.append(rechecks)
    return sections


def _rechecks(user, fiscal_year: FiscalYear) -> Section:
    """抽查复核: sampled forms not yet re-checked (a count and the first rows: 2 queries)."""
    pending = spot_check_selectors.pending_rechecks(user, fiscal_year)
    entries = [
        Entry(
            item.evaluation.title,
            url=reverse("spot_check_item", args=[item.pk]),
            tag="抽查复核",
            note=item.evaluation.department.name,
            department_id=item.evaluation.department_id,
        )
        for item in pending[:LIMIT]
    ]
    return Section(
        "recheck",
        "待复核（抽查）",
        entries,
        total=pending.count() if len(entries) == LIMIT else len(entries),
        more_url=f"{reverse('spot_checks')}?{urlencode({'year': fiscal_year.year})}",
    )


# --- the 主管部门


def _supervisor(user, fiscal_year: FiscalYear) -> Section:
    """What waits for a 主管部门审核人: the 审核工作台's own query on 待主管部门审核."""
    state = FormState.PENDING_SUPERVISOR
    result = selectors.review_list(user, fiscal_year, state=state)
    entries = [
        Entry(
            row.form.title,
            url=form_url(row.form),
            tag=row.kind_label,
            note=" · ".join(
                filter(
                    None,
                    [
                        row.form.department.name,
                        row.waiting_since and f"{_local(row.waiting_since):%Y-%m-%d %H:%M} 提交",
                    ],
                )
            ),
        )
        for row in result["rows"][:LIMIT]
    ]
    queue = reverse("review_queue")
    return Section(
        "supervise",
        "待主管部门审核",
        entries,
        total=result["rows"].count(),
        more_url=f"{queue}?{urlencode({'year': fiscal_year.year, 'state': state})}",
        summary=f"所属单位报送的表单 {result['counts'][state]} 份",
    )


# --- the administrator


def _years_not_set_up() -> Section:
    """A year is set up when it has an active indicator classification, a 自评截止日期 and at
    least one project. Only the current year and later ones are checked: a past year is what it
    was. One query."""
    current = FiscalYear.objects.filter(is_current=True).values("year")[:1]
    years = (
        FiscalYear.objects.filter(Q(year__gte=Subquery(current)) | ~Exists(current))
        .annotate(
            has_categories=Exists(
                IndicatorCategory.objects.filter(year=OuterRef("pk"), is_active=True)
            ),
            has_projects=Exists(Project.objects.filter(year=OuterRef("pk"))),
        )
        .order_by("year")
    )
    entries = []
    for year in years:
        missing = []
        if not year.has_categories:
            missing.append("指标分类")
        if year.evaluation_deadline is None:
            missing.append("自评截止日期")
        if not year.has_projects:
            missing.append("项目")
        if missing:
            entries.append(
                Entry(
                    f"{year.year}年度未设置完整",
                    url=reverse("admin:budgets_fiscalyear_change", args=[year.pk]),
                    tag="年度",
                    note="缺少：" + "、".join(missing),
                )
            )
    return _limited("years", "年度设置", entries)


# --- shared


def _present(section: Section) -> list[Section]:
    return [section] if section.entries else []


def _limited(key: str, title: str, entries: list[Entry], more_url: str = "") -> Section:
    return Section(key, title, entries[:LIMIT], total=len(entries), more_url=more_url)


def _local(moment: datetime.datetime) -> datetime.datetime:
    """A stored time as the users read it (the site's time zone, as the templates show it)."""
    return timezone.localtime(moment)


LABELS = {"targets": "绩效目标", "evaluation": "绩效自评", "monitoring": "绩效监控表"}


def kind_key(form) -> str:
    if isinstance(form, MonitoringSheet):
        return "monitoring"
    return "evaluation" if isinstance(form, SelfEvaluation) else "targets"


def form_url(form) -> str:
    return reverse(_FORM_PAGES[kind_key(form)], args=[form.pk])
