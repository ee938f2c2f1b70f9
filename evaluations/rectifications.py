"""Reads of 整改通知 (rectification notices), scoped by the user's access: the notices of a year,
the candidates finance may issue one for, one notice and its files, the counts of 绩效看板.

Which grade a self-evaluation is judged by is `notice_grade`, the one place: the 复核等级 of a
finished 抽查复核, else finance's 审核等级, else the 评价等级 (as the 结果应用表 decides, see
evaluations/application.py).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from budgets.access import Role, access_for, get_visible_or_404, scope
from budgets.models import FiscalYear

from . import workflow
from .models import (
    FormState,
    Grade,
    Light,
    MonitoringLine,
    NoticeEvidence,
    NoticeState,
    RectificationNotice,
    SelfEvaluation,
    SpotCheckItem,
)

NOTICE_GRADES = frozenset({Grade.PASS, Grade.FAIL})
# a monitoring sheet finance has seen (submitted or approved): its red lines may get a notice
MONITORING_SEEN = (FormState.SUBMITTED, FormState.APPROVED)


def notice_grade(evaluation: SelfEvaluation) -> str:
    """The grade a 整改通知 is issued on: the 复核等级 when the form was re-checked (抽查复核),
    else finance's 审核等级 when it recorded one, else the unit's 评价等级 ("" when none exists).
    Callers load `spot_check_item` with the evaluation (select_related) to keep one query."""
    try:
        item = evaluation.spot_check_item
    except SpotCheckItem.DoesNotExist:
        item = None
    if item is not None and item.done and item.grade:
        return item.grade
    return evaluation.review_grade or evaluation.grade


def reviewed(user) -> frozenset[int] | None:
    """The departments this user acts for as finance (None: all, an administrator)."""
    access = access_for(user)
    if access.is_admin:
        return None
    return access.by_role.get(Role.REVIEWER, frozenset())


def is_finance(user) -> bool:
    return reviewed(user) != frozenset()


def _in(queryset: QuerySet, ids: frozenset[int] | None, field: str = "department_id"):
    return queryset if ids is None else queryset.filter(**{f"{field}__in": ids})


def notices(
    user, fiscal_year: FiscalYear, *, state: str = "", department_id: int | None = None
) -> QuerySet:
    """The notices of a year the user may see (the unit its own, finance those it reviews),
    overdue ones first, then the newest (one query)."""
    queryset = scope(
        RectificationNotice.objects.filter(year=fiscal_year).select_related("department"), user
    )
    if state:
        queryset = queryset.filter(state=state)
    if department_id is not None:
        queryset = queryset.filter(department_id=department_id)
    return queryset.order_by("due_date", "-issued_at", "-id")


@dataclass
class Candidate:
    """A subject finance may issue a notice for: key "evaluation:<id>" or "line:<id>"."""

    key: str
    kind: str  # 绩效自评 | 运行监控
    department: str
    title: str
    basis: str  # 中 / 差 / 红灯
    href: str
    note: str = ""


def evaluation_candidates(user, fiscal_year: FiscalYear, department_id: int | None = None):
    """Approved self-evaluations of the departments the user reviews, graded 中 or 差 by
    `notice_grade`, without a notice (one query)."""
    grades = list(NOTICE_GRADES)
    queryset = (
        SelfEvaluation.objects.filter(year=fiscal_year, state=FormState.APPROVED)
        .filter(
            Q(grade__in=grades)
            | Q(review_grade__in=grades)
            | Q(spot_check_item__rechecked_at__isnull=False, spot_check_item__grade__in=grades)
        )
        .filter(rectification__isnull=True)
        .select_related("department", "project", "spot_check_item")
        .order_by("department__code", "project__code", "id")
    )
    queryset = _in(queryset, reviewed(user))
    if department_id is not None:
        queryset = queryset.filter(department_id=department_id)
    return [e for e in queryset if notice_grade(e) in NOTICE_GRADES]


def line_candidates(user, fiscal_year: FiscalYear, department_id: int | None = None):
    """Red lines of monitoring sheets finance has seen, without a notice (one query)."""
    queryset = (
        MonitoringLine.objects.filter(
            sheet__year=fiscal_year,
            sheet__state__in=MONITORING_SEEN,
            light=Light.RED,
            rectification__isnull=True,
        )
        .select_related("sheet__department", "sheet__project", "sheet__round", "indicator")
        .order_by("sheet__department__code", "sheet_id", "indicator__order", "id")
    )
    queryset = _in(queryset, reviewed(user), "sheet__department_id")
    if department_id is not None:
        queryset = queryset.filter(sheet__department_id=department_id)
    return list(queryset)


def line_title(line: MonitoringLine) -> str:
    return f"{line.sheet.title} · {line.indicator.name}（{line.sheet.round.name}）"


def candidates(user, fiscal_year: FiscalYear, department_id: int | None = None) -> list[Candidate]:
    found = [
        Candidate(
            f"evaluation:{e.pk}",
            "绩效自评",
            e.department.name,
            e.title,
            notice_grade(e),
            reverse("evaluation", args=[e.pk]),
            note=f"总分 {e.review_total_score if e.review_grade else e.total_score}",
        )
        for e in evaluation_candidates(user, fiscal_year, department_id)
    ]
    found += [
        Candidate(
            f"line:{line.pk}",
            "运行监控",
            line.sheet.department.name,
            line_title(line),
            Light.RED.label,
            "",
            note=line.get_likelihood_display(),
        )
        for line in line_candidates(user, fiscal_year, department_id)
    ]
    return found


def notice_for(user, pk: int) -> RectificationNotice:
    """One notice the user may see (404 otherwise)."""
    return get_visible_or_404(
        RectificationNotice.objects.select_related(
            "year",
            "department",
            "evaluation",
            "monitoring_line__sheet",
            "issued_by",
            "answered_by",
            "closed_by",
        ),
        user,
        pk=pk,
    )


def notice_file_for(user, pk: int) -> NoticeEvidence:
    return get_visible_or_404(
        NoticeEvidence.objects.select_related("notice"),
        user,
        department_field="notice__department",
        pk=pk,
    )


def counts(user, fiscal_year: FiscalYear, today: datetime.date | None = None) -> dict[str, int]:
    """For 绩效看板: the notices of the departments the user reviews, by where they are: open
    (with the unit), answered (waiting for finance), overdue (open past the 整改期限), closed.
    One query."""
    today = today or timezone.localdate()
    opened = Q(state__in=workflow.NOTICE_OPEN)
    queryset = _in(RectificationNotice.objects.filter(year=fiscal_year), reviewed(user))
    found = queryset.aggregate(
        open=Count("pk", filter=opened),
        answered=Count("pk", filter=Q(state=NoticeState.ANSWERED)),
        overdue=Count("pk", filter=opened & Q(due_date__lt=today)),
        closed=Count("pk", filter=Q(state=NoticeState.CLOSED)),
    )
    return found
