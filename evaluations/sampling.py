"""抽查复核: which approved self-evaluations a seeded draw chooses, and which departments' re-checks
differ too much from their self-scores. Pure functions over plain values (no ORM): the same
seed over the same candidates always gives the same sample.

The rule (README, 抽查复核):
- every candidate with a consistency flag (一致性提示) is chosen, and every one graded 优 whose
  执行率 is below the year's threshold (优但执行率低);
- then, for each department (by id) that has fewer than `minimum` chosen, candidates of that
  department are added at random until it has `minimum` (or all it has);
- then candidates are added at random until `ceil(percent% × candidates)` are chosen.
"随机" candidates come from one shuffle (random.Random(seed)) of the rest, ordered by id first, so
neither the order candidates are given in nor the database's order changes the sample.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

RANDOM = "random"
FLAGGED = "flagged"
EXCELLENT_LOW = "excellent_low"
EXCELLENT = "优"


@dataclass(frozen=True)
class Candidate:
    id: int
    department: int
    flagged: bool = False
    grade: str = ""
    rate: Decimal | None = None  # 执行率 as a ratio (0.95 = 95%), None when unknown


def target_size(count: int, percent: Decimal) -> int:
    """How many of `count` candidates `percent` (0–100) asks for, rounded up: 20% of 3 is 1."""
    if count <= 0 or percent <= 0:
        return 0
    return min(count, math.ceil(Decimal(count) * percent / Decimal(100)))


def mandatory_reasons(candidate: Candidate, low_execution: Decimal) -> list[str]:
    reasons = []
    if candidate.flagged:
        reasons.append(FLAGGED)
    rate = candidate.rate
    if candidate.grade == EXCELLENT and rate is not None and rate < low_execution:
        reasons.append(EXCELLENT_LOW)
    return reasons


def draw(
    candidates: Iterable[Candidate],
    *,
    percent: Decimal,
    minimum: int,
    low_execution: Decimal,
    seed: int,
) -> dict[int, list[str]]:
    """{candidate id: reasons} of the sample, in the order chosen (mandatory first)."""
    pool = sorted(candidates, key=lambda c: c.id)
    chosen: dict[int, list[str]] = {}
    per_department: dict[int, int] = {}
    for candidate in pool:
        reasons = mandatory_reasons(candidate, low_execution)
        if reasons:
            chosen[candidate.id] = reasons
            per_department[candidate.department] = per_department.get(candidate.department, 0) + 1
    rest = [c for c in pool if c.id not in chosen]
    random.Random(seed).shuffle(rest)
    for department in sorted({c.department for c in pool}):
        for candidate in rest:
            if per_department.get(department, 0) >= minimum:
                break
            if candidate.department == department and candidate.id not in chosen:
                chosen[candidate.id] = [RANDOM]
                per_department[department] = per_department.get(department, 0) + 1
    wanted = target_size(len(pool), percent)
    for candidate in rest:
        if len(chosen) >= wanted:
            break
        if candidate.id not in chosen:
            chosen[candidate.id] = [RANDOM]
    return chosen


@dataclass(frozen=True)
class Difference:
    department: int
    count: int  # re-checked forms
    mean: Decimal  # mean of |自评分 − 复核分|, 2 places
    flagged: bool  # mean > threshold


def department_differences(
    pairs: Iterable[tuple[int, Decimal | None, Decimal | None]], threshold: Decimal
) -> dict[int, Difference]:
    """pairs: (department, 自评分, 复核分) of sampled forms; those not re-checked (复核分 None)
    are left out. A department is flagged when the mean of |自评分 − 复核分| over its re-checked
    forms exceeds `threshold` (a form without a self-score counts as 0)."""
    sums: dict[int, tuple[Decimal, int]] = {}
    for department, own, recheck in pairs:
        if recheck is None:
            continue
        total, count = sums.get(department, (Decimal(0), 0))
        sums[department] = (total + abs(recheck - (own or Decimal(0))), count + 1)
    result = {}
    for department, (total, count) in sums.items():
        mean = (total / count).quantize(Decimal("0.01"))
        result[department] = Difference(department, count, mean, mean > threshold)
    return result
