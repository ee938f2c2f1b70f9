"""操作记录 in words a clerk reads: field names from the models' verbose names, states by label."""

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from ..models import FormState
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
}
STATES = dict(FormState.choices)
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
}


# a form's record also carries fields of what it edits (a project's 全年执行数, for one)
RELATED = ["budgets.Project", "evaluations.IndicatorResult", "evaluations.Indicator"]


def _label(model, key: str) -> str:
    if key in SPECIAL:
        return SPECIAL[key]
    for candidate in [model, *(apps.get_model(label) for label in RELATED)]:
        if candidate is None:
            continue
        try:
            return str(candidate._meta.get_field(key.removesuffix("_id")).verbose_name)
        except FieldDoesNotExist:
            continue
    return NESTED_FIELDS.get(key, key)


def _value(key: str, value) -> str:
    if value in (None, ""):
        return "空"
    if key == "state":
        return STATES.get(value, str(value))
    if key == "level":
        return LEVEL_LABELS.get(value, str(value))
    return str(value)


def _pair(key: str, value) -> str:
    if isinstance(value, list) and len(value) == 2 and key not in ("added", "removed"):
        return f"{_value(key, value[0])} → {_value(key, value[1])}"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return _value(key, value)


@register.filter
def describe_changes(log) -> list[str]:
    """One line per changed field: 字段：旧值 → 新值 (nested changes per indicator)."""
    try:
        model = apps.get_model(log.object_type)
    except (LookupError, ValueError):
        model = None
    lines = []
    for key, value in (log.changes or {}).items():
        if key in ("changed", "results") and isinstance(value, dict):
            for name, fields in value.items():
                parts = "，".join(
                    f"{NESTED_FIELDS.get(f, f)} {_pair(f, v)}" for f, v in fields.items()
                )
                lines.append(f"{name}：{parts}")
        elif key == "line_comments" and isinstance(value, dict):
            lines.append(f"逐行意见 {len(value)} 条")
        else:
            lines.append(f"{_label(model, key)}：{_pair(key, value)}")
    return lines
