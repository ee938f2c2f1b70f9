"""操作记录 in words a clerk reads: field names from the models' verbose names, states by label,
numbers as numbers (core/formatting.py): money in 万元 with 2 places, scores and weights in the
year's `score_places`, other numbers without their storage's zeros. A field whose old and new
values are the same number ("60.00" → "60") is no change, and a 保存 record left with no change
is not shown."""

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from core import formatting

from ..models import (
    DeviationCategory,
    FormState,
    Light,
    Likelihood,
    NoticeState,
    RectificationState,
)
from ..scoring import LEVEL_LABELS

register = template.Library()

SPECIAL = {
    "added": "新增指标",
    "removed": "删除指标",
    "changed": "修改指标",
    "results": "指标完成情况",
    "line_comments": "逐行意见",
    "evidence": "佐证材料",
    "indicator": "指标",
    "新增": "新增",
    "lines": "监控指标",
    "target": "整改对象",
    "sheets": "监控表数",
}
# choice fields whose stored values are codes (绩效运行监控): shown by their labels
CHOICES = {
    "likelihood": dict(Likelihood.choices),
    "deviation_category": dict(DeviationCategory.choices),
    "light": dict(Light.choices),
    "funds_light": dict(Light.choices),
    "rectification_state": dict(RectificationState.choices),
}
# a 整改通知's states have values of their own (no clash with a form's)
STATES = {**dict(FormState.choices), **dict(NoticeState.choices)}
NESTED_FIELDS = {
    "actual_value": "实际完成值",
    "level": "完成等级",
    "score": "得分",
    "review_score": "审核得分",
    "deviation_reason": "偏差原因",
    "target_value": "年度指标值",
    "weight": "分值",
    "unit": "计量单位",
    "name": "三级指标",
    "comparator": "指标性质",
    "category_id": "二级指标",
    "basis": "设定依据",
    "explanation": "指标解释",
    "order": "排序",
    "scoring_rule": "评（扣）分标准",
    "actual_to_date": "1–N月实际完成值",
    "predicted_value": "全年预计完成值",
    "likelihood": "完成目标可能性",
    "deviation_category": "偏差原因类别",
    "measures": "完成目标的措施",
}
SCORES = {"score", "review_score", "weight", "suggested_score"}
MONEY_DIGITS = 16  # budgets.models.money_field: every amount, in 万元


# a form's record also carries fields of what it edits (a project's 全年执行数, for one)
RELATED = ["budgets.Project", "evaluations.IndicatorResult", "evaluations.Indicator"]


def _field(model, key: str):
    for candidate in [model, *(apps.get_model(label) for label in RELATED)]:
        if candidate is None:
            continue
        try:
            return candidate._meta.get_field(key.removesuffix("_id"))
        except FieldDoesNotExist:
            continue
    return None


def _label(model, key: str) -> str:
    if key in SPECIAL:
        return SPECIAL[key]
    field = _field(model, key)
    if field is not None:
        return str(field.verbose_name)
    return NESTED_FIELDS.get(key, key)


def _kind(model, key: str) -> str:
    """How a field's numbers read: "money", "score" or "number"."""
    if key in SCORES:
        return "score"
    field = _field(model, key) if key not in NESTED_FIELDS else None
    if isinstance(field, models.DecimalField) and field.max_digits == MONEY_DIGITS:
        return "money"
    if isinstance(field, models.DecimalField) and "score" in key:
        return "score"
    return "number"


def _value(key: str, value, kind: str = "number", places: int = 2) -> str:
    if value in (None, ""):
        return "空"
    if key == "state":
        return STATES.get(value, str(value))
    if key == "level":
        return LEVEL_LABELS.get(value, str(value))
    if key in CHOICES:
        return CHOICES[key].get(value, str(value))
    number = formatting.as_number(value) if not isinstance(value, (list, dict)) else None
    if number is not None:
        if kind == "money":
            return formatting.money(number)
        if kind == "score":
            return formatting.score(number, places)
        return formatting.plain(number)
    return str(value)


def _same(pair) -> bool:
    """Both values the same number (or both empty): no change, whatever the zeros."""
    old, new = pair
    if old in (None, "") and new in (None, ""):
        return True
    a, b = formatting.as_number(old), formatting.as_number(new)
    return a is not None and b is not None and a == b


def _is_pair(key: str, value) -> bool:
    return isinstance(value, list) and len(value) == 2 and key not in ("added", "removed")


def _pair(key: str, value, kind: str = "number", places: int = 2) -> str:
    if _is_pair(key, value):
        return f"{_value(key, value[0], kind, places)} → {_value(key, value[1], kind, places)}"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return _value(key, value, kind, places)


@register.filter
def describe_changes(log, places=2) -> list[str]:
    """One line per changed field: 字段：旧值 → 新值 (nested changes per indicator); fields
    whose values are the same number are left out."""
    places = 2 if places in (None, "") else int(places)
    try:
        model = apps.get_model(log.object_type)
    except (LookupError, ValueError):
        model = None
    lines = []
    for key, value in (log.changes or {}).items():
        if key in ("changed", "results", "lines") and isinstance(value, dict):
            for name, fields in value.items():
                parts = "，".join(
                    f"{NESTED_FIELDS.get(f, f)} {_pair(f, v, _kind(None, f), places)}"
                    for f, v in fields.items()
                    if not (_is_pair(f, v) and _same(v))
                )
                if parts:
                    lines.append(f"{name}：{parts}")
        elif key == "line_comments" and isinstance(value, dict):
            lines.append(f"逐行意见 {len(value)} 条")
        elif _is_pair(key, value) and _same(value):
            continue
        else:
            lines.append(f"{_label(model, key)}：{_pair(key, value, _kind(model, key), places)}")
    return lines


@register.filter
def real_changes(history, places=2) -> list[tuple]:
    """(record, its lines) of a form's history, less the saves that changed nothing (records
    written before such saves stopped being recorded, or whose only change was "60.00" → "60")."""
    shown = []
    for log in history:
        lines = describe_changes(log, places)
        if not lines and not log.reason and log.action.endswith("保存"):
            continue
        shown.append((log, lines))
    return shown
