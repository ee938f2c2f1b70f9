"""Traffic lights of 绩效运行监控 (绿灯/黄灯/红灯): pure functions over plain values, like the
scoring. No Django, no ORM, no float. The monitoring services store the results on the sheet and
its lines (so lists and the dashboard need no recomputation); tables only read them.

The rules (thresholds from the year's policy, FiscalYear.monitoring_yellow_gap / _red_gap):
- 时间进度 (share of the year elapsed) = days from 1 January to the round's 截至日期, inclusive,
  over the days of the year.
- 预算执行: the execution rate (1–N月执行数 / 全年预算数) trailing the 时间进度 by more than
  the red gap is red, by more than the yellow gap yellow, else green; likewise the 预计执行率
  (全年预计执行数 / 全年预算数) falling short of 100% by more than the red / yellow gap. The
  worse of the two counts. No 全年预算数 (or 0) gives no funds light.
- A line: 完成目标可能性 确定能完成 green, 有可能完成 yellow, 完全不可能完成 red; not yet
  stated, no light.
- A sheet: the worst of its funds light and its lines' lights; none when nothing is stated yet.
- Yellow and red need a 偏差原因 (category and text): `needs_reason`.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from decimal import Decimal

GREEN = "green"
YELLOW = "yellow"
RED = "red"
NONE = ""
_RANK = {NONE: 0, GREEN: 1, YELLOW: 2, RED: 3}

LIKELIHOOD_LIGHT = {"certain": GREEN, "possible": YELLOW, "impossible": RED}

_ONE = Decimal("1")


def elapsed_share(as_of: datetime.date) -> Decimal:
    """时间进度: the share of the calendar year elapsed at the end of `as_of` (1 Jan → 1/365)."""
    days = 366 if calendar.isleap(as_of.year) else 365
    return Decimal(as_of.timetuple().tm_yday) / Decimal(days)


def rate(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """part / whole, None when either is missing or the whole is not positive."""
    if part is None or whole is None or whole <= 0:
        return None
    return part / whole


def _by_gap(gap: Decimal, yellow_gap: Decimal, red_gap: Decimal) -> str:
    if gap > red_gap:
        return RED
    if gap > yellow_gap:
        return YELLOW
    return GREEN


def funds_light(
    *,
    annual_budget: Decimal | None,
    executed_to_date: Decimal | None,
    predicted_execution: Decimal | None,
    as_of: datetime.date,
    yellow_gap: Decimal,
    red_gap: Decimal,
) -> str:
    """The 预算执行 light (see the module's rules)."""
    lights = []
    execution = rate(executed_to_date, annual_budget)
    if execution is not None:
        lights.append(_by_gap(elapsed_share(as_of) - execution, yellow_gap, red_gap))
    predicted = rate(predicted_execution, annual_budget)
    if predicted is not None:
        lights.append(_by_gap(_ONE - predicted, yellow_gap, red_gap))
    return worst(lights)


def line_light(likelihood: str) -> str:
    """A line's light from its 完成目标可能性 (empty: not stated yet, no light)."""
    return LIKELIHOOD_LIGHT.get(likelihood, NONE)


def worst(lights: Iterable[str]) -> str:
    """The worst of some lights (red > yellow > green > none)."""
    return max(lights, key=_RANK.__getitem__, default=NONE)


def needs_reason(light: str) -> bool:
    """Yellow and red lines (and funds) need a 偏差原因 before submission."""
    return light in (YELLOW, RED)
