"""Reads of 绩效运行监控 for finance: the rounds of a year, the lights on 绩效看板 and the sheets a
user may open as a table. Scoped by `budgets.access`; aggregated in SQL, so each costs a fixed
number of queries whatever the number of sheets and lines."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count
from django.urls import reverse

from budgets.access import Role, access_for, get_visible_or_404
from budgets.models import FiscalYear
from core.http import optional_id
from evaluations import lights
from evaluations.models import MonitoringLine, MonitoringRound, MonitoringSheet

RED_LIMIT = 50  # red sheets and lines listed on the board (the summary has the counts of all)
LIGHTS = (lights.RED, lights.YELLOW, lights.GREEN)


def rounds_of(fiscal_year: FiscalYear | None) -> list[MonitoringRound]:
    """The year's rounds, latest first (1 query)."""
    if fiscal_year is None:
        return []
    return list(
        MonitoringRound.objects.filter(year=fiscal_year)
        .select_related("year")
        .order_by("-as_of", "-id")
    )


def round_chosen(rounds: list[MonitoringRound], raw) -> MonitoringRound | None:
    """The round asked for (?round=id, among the year's), else the latest; a bad id is the
    latest too (a stale bookmark shows something sensible, never a 500)."""
    try:
        wanted = optional_id(raw)
    except Exception:  # noqa: BLE001  (a malformed id is ignored)
        wanted = None
    return next((r for r in rounds if r.pk == wanted), rounds[0] if rounds else None)


def reviewed_ids(user) -> frozenset[int] | None:
    """The departments whose monitoring finance sees on its pages (None: all, administrators)."""
    access = access_for(user)
    if access.is_admin:
        return None
    return access.by_role.get(Role.REVIEWER, frozenset())


def sheet_for(user, pk: int) -> MonitoringSheet:
    """One 监控表 the user may see (404 otherwise)."""
    return get_visible_or_404(
        MonitoringSheet.objects.select_related("round", "year", "department", "project"),
        user,
        pk=pk,
    )


def sheet_url(sheet_id: int) -> str:
    return reverse("monitoring_sheet", args=[sheet_id])


@dataclass
class RedItem:
    department: str
    title: str
    href: str
    indicator: str = ""
    reason: str = ""


@dataclass
class Board:
    """The lights of a round on 绩效看板."""

    round: MonitoringRound
    sheets: dict[str, int] = field(default_factory=dict)  # light → count ("" = none yet)
    lines: dict[str, int] = field(default_factory=dict)
    red_sheets: list[RedItem] = field(default_factory=list)
    red_lines: list[RedItem] = field(default_factory=list)
    total_sheets: int = 0
    total_lines: int = 0

    def bars(self, counts: dict[str, int], total: int) -> list[dict]:
        labels = {lights.RED: "红灯", lights.YELLOW: "黄灯", lights.GREEN: "绿灯", "": "未填报"}
        return [
            {
                "light": light or "none",
                "label": labels[light],
                "count": counts.get(light, 0),
                "share": round(100 * counts.get(light, 0) / total) if total else 0,
            }
            for light in (*LIGHTS, "")
        ]

    @property
    def sheet_bars(self) -> list[dict]:
        return self.bars(self.sheets, self.total_sheets)

    @property
    def line_bars(self) -> list[dict]:
        return self.bars(self.lines, self.total_lines)

    @property
    def groups(self) -> list[tuple[str, list[dict], int]]:
        return [
            ("监控表", self.sheet_bars, self.total_sheets),
            ("三级指标", self.line_bars, self.total_lines),
        ]


def board_for(user, round_: MonitoringRound | None) -> Board | None:
    """Counts per light of the round's sheets and lines in the user's reach, and the red ones
    (4 queries)."""
    if round_ is None:
        return None
    departments = reviewed_ids(user)
    sheets = MonitoringSheet.objects.filter(round=round_)
    lines = MonitoringLine.objects.filter(sheet__round=round_)
    if departments is not None:
        sheets = sheets.filter(department_id__in=departments)
        lines = lines.filter(sheet__department_id__in=departments)
    board = Board(round=round_)
    board.sheets = dict(sheets.values_list("light").annotate(n=Count("id")).order_by())
    board.lines = dict(lines.values_list("light").annotate(n=Count("id")).order_by())
    board.total_sheets = sum(board.sheets.values())
    board.total_lines = sum(board.lines.values())
    for sheet in (
        sheets.filter(light=lights.RED)
        .select_related("department", "project")
        .order_by("department__code", "project__code")[:RED_LIMIT]
    ):
        board.red_sheets.append(
            RedItem(
                sheet.department.name,
                sheet.project.name if sheet.project_id else "部门整体",
                sheet_url(sheet.pk),
            )
        )
    for line in (
        lines.filter(light=lights.RED)
        .select_related("sheet__department", "sheet__project", "indicator")
        .order_by("sheet__department__code", "sheet__project__code", "indicator__order")[:RED_LIMIT]
    ):
        sheet = line.sheet
        board.red_lines.append(
            RedItem(
                sheet.department.name,
                sheet.project.name if sheet.project_id else "部门整体",
                sheet_url(sheet.pk),
                indicator=line.indicator.name,
                reason=line.deviation_reason,
            )
        )
    return board
