"""结果应用: the suggestion for next year's budget that a grade gives, and which score decides the
grade. Pure functions over plain values (README, 结果应用表).

The score used: the 复核分 when the form was re-checked (抽查复核), else the 审核得分 total when
finance recorded one, else the 自评分; graded by the year's thresholds (scoring.grade).
"""

from __future__ import annotations

from decimal import Decimal

from . import scoring

NOT_EVALUATED = "未评价"
PRIORITY = "优先保障"
KEEP = "维持"
REDUCE = "压减"
STOP = "取消或暂停"
SUGGESTIONS: tuple[str, ...] = (PRIORITY, KEEP, REDUCE, STOP)
BY_GRADE: dict[str, str] = {"优": PRIORITY, "良": KEEP, "中": REDUCE, "差": STOP}

RECHECK = "复核分"
REVIEW = "审核分"
SELF = "自评分"


def basis(
    own: Decimal | None, review: Decimal | None, recheck: Decimal | None
) -> tuple[str, Decimal] | None:
    """(which score, the score) that decides the grade, or None when there is none."""
    for label, value in ((RECHECK, recheck), (REVIEW, review), (SELF, own)):
        if value is not None:
            return label, value
    return None


def grade_and_suggestion(
    own: Decimal | None,
    review: Decimal | None,
    recheck: Decimal | None,
    policy: scoring.Policy = scoring.DEFAULT_POLICY,
) -> tuple[str, str, str]:
    """(grade, suggestion by rule, basis label); (未评价, "", "") without any score."""
    found = basis(own, review, recheck)
    if found is None:
        return NOT_EVALUATED, "", ""
    label, score = found
    grade = scoring.grade(score, policy) or ""
    return grade, BY_GRADE.get(grade, ""), label
