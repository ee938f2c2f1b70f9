"""The rules of one target line and one result line, and of editing and starting a
self-evaluation, over plain values: the one place every path asks (the target grid and the
self-evaluation form through the services, the imports, the offline table, the admin), so a row
one path refuses is refused by all with the same message.

No ORM and no queries: callers read what a rule needs (a state, a deadline, a permission) and
pass it in; a bulk path reads it once for many rows. Scoring is `scoring` (pure) and the reading
of numbers is `core.numbers`; these functions call them and add what a line must meet.
Problems are Chinese messages keyed by the field they belong to (the model's attribute names),
so a form puts them beside the input and an import under the column.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core import numbers

from . import lights, scoring
from .models import IndicatorResult, MonitoringLine

# The column a score is stored in (field metadata only: its digits and places).
SCORE_FIELD = IndicatorResult._meta.get_field("score")

Problems = dict[str, list[str]]


def _add(problems: Problems, field: str, message: str | None) -> None:
    if message and message not in problems.setdefault(field, []):
        problems[field].append(message)


# ------------------------------------------------------------------------------ target lines


@dataclass(frozen=True)
class TargetLine:
    """One 三级指标 as typed (the grid, an import row, the admin)."""

    name: str
    comparator: str
    target_value: str
    unit: str


QUANTITATIVE_WORDS = "定量指标的年度指标值必须是数字（文字目标请选择“定性”）"


def target_line_problems(line: TargetLine) -> Problems:
    """What one target line must meet before its sheet is submitted. The weight is a number
    cell, refused when typed by the number rule (core.numbers), and summed by `weight_problems`."""
    problems: Problems = {}
    if not line.name.strip():
        _add(problems, "name", "请填写三级指标名称")
    if not line.target_value.strip():
        _add(problems, "target_value", "请填写年度指标值")
    elif line.comparator != scoring.QUALITATIVE:
        too_long = numbers.value_problem(line.target_value, "年度指标值")
        if too_long:
            _add(problems, "target_value", too_long)
        elif scoring.parse_number(line.target_value) is None:
            _add(problems, "target_value", QUANTITATIVE_WORDS)
    if line.comparator != scoring.QUALITATIVE and not line.unit.strip():
        _add(problems, "unit", "定量指标须填写计量单位")
    return problems


def library_line_problems(line: TargetLine) -> Problems:
    """A 指标库 entry: a target line whose typical value (`target_value`) may be left blank; when
    given on a quantitative comparator it is a number (the number rule of `core.numbers`)."""
    problems = target_line_problems(line)
    if not line.target_value.strip():
        problems.pop("target_value", None)
    if "target_value" in problems:  # the same rule, named as the library names the value
        problems["target_value"] = [
            m.replace("年度指标值", "典型指标值") for m in problems["target_value"]
        ]
    if line.comparator not in scoring.COMPARATORS:
        _add(problems, "comparator", "指标性质须为 " + "、".join(scoring.COMPARATORS) + " 之一")
    return problems


def library_category_problems(level1: str, level2: str, known_categories) -> Problems:
    """一级/二级 of a 指标库 entry: a pair of names of the standard tree or of some year's
    classification (`known_categories`)."""
    problems: Problems = {}
    if (level1, level2) in known_categories:
        return problems
    if level1 not in {first for first, _ in known_categories}:
        _add(problems, "level1", f"“{level1}”不是一级指标")
    else:
        _add(problems, "level2", f"“{level2}”不是“{level1}”下的二级指标")
    return problems


def weight_problems(
    rows: Iterable[tuple[str, Decimal]],
    level1_weights: dict[str, Decimal],
    policy: scoring.Policy,
) -> list[str]:
    """The sheet's weights: (一级 name, weight) of each line against the 一级 weights of the year
    (sums by `scoring.weight_problems`), and every weighted 一级 given at least one line."""
    rows = list(rows)
    problems = scoring.weight_problems(rows, level1_weights, policy)
    present = {level1 for level1, _ in rows}
    for name, weight in level1_weights.items():
        if weight and name not in present:
            problems.append(f"{name}下至少须设置一个三级指标")
    return problems


# ------------------------------------------------------------------------------ result lines


@dataclass(frozen=True)
class ResultLine:
    """One self-evaluation line: its indicator's comparator and weight, and what was typed."""

    comparator: str
    weight: Decimal
    actual_value: str = ""
    unit: str = ""  # the indicator's 计量单位: the one unit an actual value may carry
    level: str = ""
    score: Decimal | None = None
    suggested_score: Decimal | None = None
    deviation_reason: str = ""

    @property
    def is_qualitative(self) -> bool:
        return self.comparator == scoring.QUALITATIVE


def actual_words(unit: str) -> str:
    """The refusal of a quantitative 实际完成值 that is not a number in the line's unit: one
    message for every path (form, live preview, offline table, results import, admin)."""
    unit = unit.strip()
    if unit:
        return (
            f"实际完成值须为数字，可带计量单位“{unit}”（如：96{unit}），"
            "文字说明请写在偏差原因分析中"
        )
    return "实际完成值须为数字，文字说明请写在偏差原因分析中"


def actual_value_problem(line: ResultLine) -> str | None:
    """A quantitative line's 实际完成值 that is not a number (optionally followed by the
    line's own 计量单位: "96", "96%", "1200 人"), or one no computation can use (too many
    digits). Blank is no problem here (a draft may leave it; submission asks for it). A
    qualitative line keeps free text."""
    if line.is_qualitative or not line.actual_value.strip():
        return None
    too_long = numbers.value_problem(line.actual_value, "实际完成值")
    if too_long:
        return too_long
    if scoring.actual_number(line.actual_value, line.unit) is None:
        return actual_words(line.unit)
    return None


def score_refusal(score: Decimal | None, weight: Decimal, label: str = "得分") -> str | None:
    """A score that may not be stored at all, drafts included: outside 0…the line's weight,
    or more places than the column holds (the number rule)."""
    try:
        numbers.check(score, SCORE_FIELD, label=label, maximum=weight)
    except numbers.NumberRefused as refused:
        return str(refused)
    return None


def result_line_problems(line: ResultLine, policy: scoring.Policy, *, final: bool) -> Problems:
    """The rules of one line; `final` adds what only submission requires (a value, a level, a
    score, a reason for a score below the weight). A blank score is judged by its suggestion."""
    problems: Problems = {}
    score = line.score if line.score is not None else line.suggested_score
    if final and not line.actual_value.strip():
        _add(problems, "actual_value", "请填写实际完成值")
    _add(problems, "actual_value", actual_value_problem(line))
    if line.is_qualitative and final and not line.level:
        _add(problems, "level", "定性指标须选择完成等级")
    if line.score is not None and (refusal := score_refusal(line.score, line.weight)):
        _add(problems, "score", refusal)
    elif score is not None:
        error = scoring.check_score(line.comparator, line.weight, score, line.level or None, policy)
        if error and "完成等级" in error:
            if final:  # a draft may leave the level for later
                _add(problems, "level", error)
        elif error:
            _add(problems, "score", error)
    elif final:
        _add(problems, "score", "请填写得分")
    if (
        final
        and scoring.deviation_required(score, line.weight)
        and not line.deviation_reason.strip()
    ):
        _add(problems, "deviation_reason", "得分低于分值，须填写偏差原因分析及改进措施")
    return problems


def messages(problems: Problems) -> list[str]:
    """The messages of `problems` in field order, each once."""
    return list(dict.fromkeys(m for ms in problems.values() for m in ms))


# ------------------------------------------------------------------------------ the form itself

NOT_OPEN = "本年度绩效自评尚未开启。"


def editing_refusal(
    *,
    evaluation_open: bool,
    may_edit: bool,
    state_label: str,
    overdue_since: datetime.date | None,
) -> str | None:
    """Why a self-evaluation may not be edited now, or None. `may_edit`: its state is 草稿 or
    已退回 and the user acts for its department; `overdue_since`: the deadline it is past."""
    if not evaluation_open:
        return NOT_OPEN
    if not may_edit:
        return f"表单当前状态为“{state_label}”，或您无权编辑。"
    if overdue_since is not None:
        return f"已过填报截止日期（{overdue_since:%Y年%m月%d日}），如需修改请联系财政部门延期。"
    return None


def start_refusal(*, evaluation_open: bool, may_start: bool, targets_approved: bool) -> str | None:
    """Why a self-evaluation may not be started from its target sheet now, or None."""
    if not may_start:
        return "只有本单位填报人可以开始绩效自评。"
    if not evaluation_open:
        return NOT_OPEN
    if not targets_approved:
        return "绩效目标尚未批复，不能开始自评。"
    return None


def budget_locked_refusal(state_label: str) -> str:
    """Why the 部门整体预算数据 of a department-year may not change: its 部门整体 self-evaluation
    is with finance or approved (the page and the import say the same)."""
    return (
        f"该单位的部门整体绩效自评当前为“{state_label}”，"
        "不能修改部门整体预算数据（须先退回或重新打开）"
    )


# ------------------------------------------------------------------------------ 绩效运行监控

MONITORING_NOT_OPEN = "该监控批次的填报已关闭。"


@dataclass(frozen=True)
class MonitoringLineInput:
    """One 监控表 line: its indicator's comparator and unit, and what was typed."""

    comparator: str
    unit: str = ""
    actual_to_date: str = ""
    predicted_value: str = ""
    likelihood: str = ""
    deviation_category: str = ""
    deviation_reason: str = ""
    measures: str = ""


MONITORING_VALUE_LABELS = {"actual_to_date": "1–N月实际完成值", "predicted_value": "全年预计完成值"}
# The longest text each field may hold: the column's max_length for the values, and for the free
# texts far beyond any real explanation (as the self-evaluation's). Longer is refused, never cut.
MONITORING_TEXT_LIMITS = {
    "actual_to_date": (
        "1–N月实际完成值",
        MonitoringLine._meta.get_field("actual_to_date").max_length,
    ),
    "predicted_value": (
        "全年预计完成值",
        MonitoringLine._meta.get_field("predicted_value").max_length,
    ),
    "deviation_reason": ("偏差原因说明", 5000),
    "measures": ("完成目标的措施", 5000),
}
EXECUTION_REASON_LIMIT = 5000


def text_too_long(label: str, limit: int, text: str) -> str | None:
    if len(text) > limit:
        return f"{label}超过{limit}字（现为{len(text)}字），未保存，请精简后再提交"
    return None


def monitoring_line_problems(
    line: MonitoringLineInput,
    *,
    likelihoods: Iterable[str],
    categories: Iterable[str],
    light: str,
    final: bool,
) -> Problems:
    """The rules of one 监控表 line. Values of a quantitative indicator are numbers (the rule of
    `actual_value_problem`, reused with the monitoring labels); a choice outside its list is
    refused at once; `final` (submission) adds every value, the 可能性, and a 偏差原因 (category
    and text) for a yellow or red line (`light`, from `lights.line_light`)."""
    problems: Problems = {}
    for field, (label, limit) in MONITORING_TEXT_LIMITS.items():
        _add(problems, field, text_too_long(label, limit, getattr(line, field)))
    for field, label in MONITORING_VALUE_LABELS.items():
        typed = getattr(line, field)
        if final and not typed.strip():
            _add(problems, field, f"请填写{label}")
        problem = actual_value_problem(
            ResultLine(
                comparator=line.comparator, weight=Decimal(0), actual_value=typed, unit=line.unit
            )
        )
        if problem:
            _add(
                problems,
                field,
                problem.replace("实际完成值", label).replace("偏差原因分析", "偏差原因说明"),
            )
    if line.likelihood and line.likelihood not in likelihoods:
        _add(problems, "likelihood", "完成目标可能性须从列表中选择")
    elif final and not line.likelihood:
        _add(problems, "likelihood", "请选择完成目标可能性")
    if line.deviation_category and line.deviation_category not in categories:
        _add(problems, "deviation_category", "偏差原因类别须从列表中选择")
    if final and lights.needs_reason(light):
        colour = "红灯" if light == lights.RED else "黄灯"
        if not line.deviation_category:
            _add(problems, "deviation_category", f"{colour}指标须选择偏差原因类别")
        if not line.deviation_reason.strip():
            _add(problems, "deviation_reason", f"{colour}指标须填写偏差原因说明")
    return problems


def monitoring_funds_problems(
    *, executed_to_date, predicted_execution, execution_reason: str, light: str, final: bool
) -> Problems:
    """The 预算执行 part of a 监控表 at submission: both amounts given, and a 预算执行偏差原因
    when the funds light (`lights.funds_light`) is yellow or red. (Amounts that cannot be stored
    at all are refused earlier, by the number rule of `core.numbers`.)"""
    problems: Problems = {}
    if not final:
        return problems
    if executed_to_date is None:
        _add(problems, "executed_to_date", "请填写1–N月执行数")
    if predicted_execution is None:
        _add(problems, "predicted_execution", "请填写全年预计执行数")
    if lights.needs_reason(light) and not execution_reason.strip():
        colour = "红灯" if light == lights.RED else "黄灯"
        _add(problems, "execution_reason", f"预算执行为{colour}，须填写预算执行偏差原因")
    return problems


def monitoring_editing_refusal(
    *, round_open: bool, may_edit: bool, state_label: str, overdue_since: datetime.date | None
) -> str | None:
    """Why a 监控表 may not be edited now, or None (as `editing_refusal`, with the round's
    报送截止日期 as the deadline)."""
    if not round_open:
        return MONITORING_NOT_OPEN
    if not may_edit:
        return f"表单当前状态为“{state_label}”，或您无权编辑。"
    if overdue_since is not None:
        return f"已过报送截止日期（{overdue_since:%Y年%m月%d日}），如需修改请联系财政部门。"
    return None
