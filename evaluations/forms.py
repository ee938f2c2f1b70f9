"""Forms of the evaluation pages. Choices are computed once per page and passed in, so a grid of
any size costs no extra queries."""

from decimal import Decimal

from django import forms

from budgets.models import Project
from core import numbers
from core.forms import NumberField
from core.http import ID_MAX, INT_MAX, optional_id

from . import scoring
from .models import (
    MAX_WEIGHT,
    FormState,
    Grade,
    Indicator,
    IndicatorCategory,
    IndicatorResult,
)
from .selectors import QUEUE_KINDS, QUEUE_SORTS
from .services import EvaluationInput, ResultInput


class IndicatorRowForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=ID_MAX)
    level1 = forms.ChoiceField(label="一级指标")
    category = forms.ChoiceField(label="二级指标")
    name = forms.CharField(label="三级指标", max_length=200)
    comparator = forms.ChoiceField(label="指标性质", choices=Indicator.COMPARATOR_CHOICES)
    target_value = forms.CharField(label="年度指标值", max_length=200, required=False)
    unit = forms.CharField(label="计量单位", max_length=20, required=False)
    weight = NumberField(label="分值", max_digits=5, decimal_places=2, maximum=MAX_WEIGHT)
    basis = forms.ChoiceField(label="指标值设定依据", choices=Indicator.Basis.choices)
    explanation = forms.CharField(label="指标解释", required=False, max_length=2000)
    scoring_rule = forms.CharField(label="评（扣）分标准", required=False, max_length=2000)
    # the 指标库 entry the line was taken from (checked by the service)
    library = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=ID_MAX
    )

    def __init__(self, *args, categories: dict[int, IndicatorCategory], **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = categories
        level1 = [(c.id, c.name) for c in categories.values() if c.parent_id is None]
        level2 = [(c.id, c.name) for c in categories.values() if c.parent_id is not None]
        self.fields["level1"].choices = [("", "请选择")] + level1
        self.fields["category"].choices = [("", "请选择")] + level2
        self.level2_parents = {c.id: c.parent_id for c in categories.values() if c.parent_id}

    def clean(self):
        data = super().clean()
        level1, level2 = data.get("level1"), data.get("category")
        if level1 and level2:
            category = self.categories[int(level2)]
            if category.parent_id != int(level1):
                self.add_error("category", "所选二级指标不属于该一级指标")
            data["category_obj"] = category
        return data


IndicatorFormSet = forms.formset_factory(IndicatorRowForm, extra=0, can_delete=True, can_order=True)


class TargetSheetForm(forms.Form):
    overall_goal = forms.CharField(
        label="年度总体目标",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=INT_MAX)


def category_map(fiscal_year) -> dict[int, IndicatorCategory]:
    return {
        c.id: c
        for c in IndicatorCategory.objects.filter(year=fiscal_year, is_active=True).order_by(
            "order"
        )
    }


def qualitative_choices() -> list[tuple[str, str]]:
    return [("", "—")] + list(scoring.LEVEL_LABELS.items())


def _read_into(
    text: str,
    label: str,
    errors: dict,
    key: str,
    field,
    *,
    maximum: Decimal | None = None,
) -> Decimal | None:
    """A typed number (blank → None) read by the one number rule (core.numbers) against the
    model field it is stored in; a refusal goes into `errors[key]` in Chinese."""
    try:
        return numbers.read(text, field, label=label, maximum=maximum)
    except numbers.NumberRefused as refused:
        errors[key] = str(refused)
        return None


SCORE_FIELD = IndicatorResult._meta.get_field("score")
REVIEW_SCORE_FIELD = IndicatorResult._meta.get_field("review_score")


FUND_SOURCE_KEYS = ("current", "carryover", "other")

# The longest text each posted field may hold, in characters: the column's own max_length where
# it has one; for the free texts, far beyond any real 自评 (a page is ~800 characters) and short of
# a paste of a whole document. Longer input is refused with the field's message, never cut: a cut
# text would be saved as if the user had typed it.
ACTUAL_VALUE_MAX = IndicatorResult._meta.get_field("actual_value").max_length
REASON_MAX = 5000
TEXT_MAX = 10000
COMMENT_MAX = 2000
EVALUATION_TEXTS = {
    # input name: (label, limit)
    "actual_text": ("实际完成情况", TEXT_MAX),
    "problems": ("发现的问题及原因", TEXT_MAX),
    "measures": ("下一步改进措施", TEXT_MAX),
    "execution_reason": ("预算执行偏差原因", REASON_MAX),
}


def too_long(label: str, limit: int, length: int) -> str:
    return f"{label}超过{limit}字（现为{length}字），未保存，请精简后再提交"


def _text_into(post, key: str, label: str, limit: int, errors: dict[str, str]) -> str:
    """A posted text, whole; over `limit` characters it is an error under `key` (the page shows
    it beside the field, with what the user typed still there)."""
    value = post.get(key, "")
    if len(value) > limit:
        errors[key] = too_long(label, limit, len(value))
    return value


def parse_evaluation_post(post, results, with_funds: bool):
    """The typed values of an evaluation form, and the Chinese errors of values that cannot be
    stored at all (rules such as bands and reasons are checked by the services)."""
    errors: dict[str, str] = {}
    lines = []
    levels = set(scoring.LEVEL_LABELS)
    for result in results:
        pk = result.id
        level = post.get(f"level-{pk}", "")
        if level and level not in levels:
            errors[f"level-{pk}"] = "请选择有效的完成等级"
            level = ""
        lines.append(
            ResultInput(
                id=pk,
                actual_value=_text_into(
                    post, f"actual-{pk}", "实际完成值", ACTUAL_VALUE_MAX, errors
                ),
                level=level,
                score=_read_into(
                    post.get(f"score-{pk}", ""),
                    "得分",
                    errors,
                    f"score-{pk}",
                    SCORE_FIELD,
                    maximum=result.indicator.weight,
                ),
                deviation_reason=_text_into(
                    post, f"reason-{pk}", "偏差原因分析及改进措施", REASON_MAX, errors
                ),
            )
        )
    executed = None
    if with_funds:
        executed = {}
        for source in FUND_SOURCE_KEYS:
            value = _read_into(
                post.get(f"executed-{source}", ""),
                "全年执行数",
                errors,
                f"executed-{source}",
                Project._meta.get_field(f"executed_{source}"),
            )
            executed[source] = value if value is not None else Decimal("0")
    texts = {
        name: _text_into(post, name, label, limit, errors)
        for name, (label, limit) in EVALUATION_TEXTS.items()
    }
    data = EvaluationInput(
        **texts,
        results=lines,
        executed=executed,
    )
    return data, errors


def parse_reviews(post, results) -> tuple[dict[int, tuple[Decimal | None, str]], dict[str, str]]:
    errors: dict[str, str] = {}
    reviews = {}
    for result in results:
        pk = result.id
        score = _read_into(
            post.get(f"review-{pk}", ""),
            "审核得分",
            errors,
            f"review-{pk}",
            REVIEW_SCORE_FIELD,
            maximum=result.indicator.weight,
        )
        comment = _text_into(post, f"line-{pk}", "审核意见", COMMENT_MAX, errors).strip()
        if score is not None or comment or result.review_score is not None:
            reviews[pk] = (score, comment)
    return reviews, errors


class ReviewFilters(forms.Form):
    """The 审核工作台 filters from the query string. A value no filter knows (a stale bookmark,
    a hand-edited address) shows everything for that filter, as a blank choice does; a 单位 that
    is not an id is a bad request (400), one no row can have "not found" (404), as everywhere."""

    kind = forms.ChoiceField(choices=[("", "全部"), *QUEUE_KINDS.items()], required=False)
    state = forms.ChoiceField(choices=[("", "全部"), *FormState.choices], required=False)
    department = forms.CharField(required=False)
    grade = forms.ChoiceField(choices=[("", "全部"), *Grade.choices], required=False)
    overdue = forms.BooleanField(required=False)
    sort = forms.ChoiceField(choices=[(key, key) for key in QUEUE_SORTS], required=False)

    DEFAULTS = {
        "kind": "",
        "state": "",
        "department": None,
        "grade": "",
        "overdue": False,
        "sort": "submitted",
    }

    FILTERS = ("kind", "state", "department", "grade", "overdue")

    def clean_department(self) -> int | None:
        return optional_id(self.cleaned_data["department"], "单位")

    def clean_overdue(self) -> bool:
        return self.data.get("overdue") == "1"

    def values(self, default_state: str = FormState.SUBMITTED.value) -> dict:
        """Every filter, valid or its default (the keyword arguments of selectors.review_list).
        An address without any filter (the menu's link) opens on what waits for finance
        (已提交; `default_state`: 待主管部门审核 for a 主管部门审核人); any filter in the address
        wins, and a 状态 left out or empty (全部状态) is every state — a link to the forms
        behind a figure (绩效看板) shows all of them."""
        self.is_valid()
        values = {
            name: self.cleaned_data.get(name) or default for name, default in self.DEFAULTS.items()
        }
        if not any(name in self.data for name in self.FILTERS):
            values["state"] = default_state
        return values
