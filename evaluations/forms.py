"""Forms of the evaluation pages. Choices are computed once per page and passed in, so a grid of
any size costs no extra queries."""

from decimal import Decimal

from django import forms

from budgets.models import Project
from core import numbers
from core.forms import NumberField
from core.http import ID_MAX, INT_MAX

from . import scoring
from .models import MAX_WEIGHT, Indicator, IndicatorCategory, IndicatorResult
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
                actual_value=post.get(f"actual-{pk}", "")[:200],
                level=level,
                score=_read_into(
                    post.get(f"score-{pk}", ""),
                    "得分",
                    errors,
                    f"score-{pk}",
                    SCORE_FIELD,
                    maximum=result.indicator.weight,
                ),
                deviation_reason=post.get(f"reason-{pk}", "")[:5000],
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
    data = EvaluationInput(
        actual_text=post.get("actual_text", "")[:10000],
        problems=post.get("problems", "")[:10000],
        measures=post.get("measures", "")[:10000],
        execution_reason=post.get("execution_reason", "")[:5000],
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
        comment = post.get(f"line-{pk}", "").strip()[:2000]
        if score is not None or comment or result.review_score is not None:
            reviews[pk] = (score, comment)
    return reviews, errors
