"""The one rule for numbers (core.numbers): parsing, field digits, domain bounds, fitting."""

from decimal import Decimal

import pytest

from budgets.models import Project
from core import numbers
from evaluations.models import IndicatorResult, SelfEvaluation

D = Decimal
SCORE = IndicatorResult._meta.get_field("score")
MONEY = Project._meta.get_field("executed_current")
RATE = SelfEvaluation._meta.get_field("execution_rate")

# The hostile values of issue 12, each refused by every decimal input.
HOSTILE = {
    "²": "必须是数字",
    "4" * 40: "",  # message depends on the field: range or digits
    "1e400": "必须是数字",
    "1E5": "必须是数字",
    "NaN": "必须是数字",
    "Infinity": "必须是数字",
    "-1": "",
    "x" * 10**6: "内容过长",
    "1\x00": "控制字符",
    "1\u200b2": "控制字符",
    "十": "必须是数字",
    "1.2.3": "必须是数字",
    "٣": "必须是数字",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", D("12")),
        (" 12.5 ", D("12.5")),
        ("１２．５", D("12.5")),
        ("1,000", D("1000")),
        ("1，000.25", D("1000.25")),
        ("1 000", D("1000")),
        ("-0", D("0")),
        ("", None),
        ("   ", None),
        (None, None),
        (7, D("7")),
        (2.5, D("2.5")),
        (0.1 + 0.2, D("0.3")),
    ],
)
def test_parse_accepts_what_people_type(text, expected):
    assert numbers.parse(text) == expected


def test_percent_only_where_allowed():
    assert numbers.parse("80%", percent=True) == D("0.8")
    assert numbers.parse("９５％", percent=True) == D("0.95")
    with pytest.raises(numbers.NumberRefused, match="得分不能带百分号"):
        numbers.parse("80%", label="得分")


@pytest.mark.parametrize("text", list(HOSTILE))
@pytest.mark.parametrize(
    ("field", "maximum"), [(SCORE, D("10")), (MONEY, None), (RATE, None)], ids=str
)
def test_every_hostile_value_is_refused_in_chinese(text, field, maximum):
    with pytest.raises(numbers.NumberRefused) as refused:
        numbers.read(text, field, label="某值", maximum=maximum)
    message = str(refused.value)
    assert message.startswith("某值") and HOSTILE[text] in message
    assert len(message) < 80  # the message never echoes a huge input


def test_domain_bound_message():
    with pytest.raises(numbers.NumberRefused, match="^得分须在0至10之间$"):
        numbers.read("99999999999", SCORE, label="得分", maximum=D("10.00"))
    with pytest.raises(numbers.NumberRefused, match="^得分须在0至10之间$"):
        numbers.read("-1", SCORE, label="得分", maximum=D("10"))
    with pytest.raises(numbers.NumberRefused, match="^全年执行数不能为负数$"):
        numbers.read("-1", MONEY, label="全年执行数")


def test_field_digits_and_places_read_from_the_field():
    message = "金额位数过多（万元，最多12位整数）——是否把元当成了万元？"
    with pytest.raises(numbers.NumberRefused, match=f"^金额{message[2:]}$"):
        numbers.read("1" * 13, MONEY, label="金额")
    assert numbers.read("9" * 12 + ".9999", MONEY) == D("9" * 12 + ".9999")
    with pytest.raises(numbers.NumberRefused, match="最多保留4位小数"):
        numbers.read("1.00001", MONEY, label="金额")
    assert numbers.read("1.50000", SCORE, label="得分") == D("1.50")  # trailing zeros are fine
    with pytest.raises(numbers.NumberRefused, match="得分超出范围（最多3位整数）"):
        numbers.read("1000", SCORE, label="得分")
    with pytest.raises(numbers.NumberRefused, match="最多保留2位小数"):
        # 32 significant digits: never rounded by the decimal context into an accepted value
        numbers.read("1.000000000000000000000000000001", SCORE, label="得分")


def test_fit_clamps_computed_figures_to_none():
    assert numbers.fit(D("0.957612"), RATE) == D("0.957612")
    assert numbers.fit(D("3333.333333"), RATE) is None
    assert numbers.fit(D("999.9999996"), RATE) is None  # rounds up past the column
    assert numbers.fit(D("133.666"), SCORE) == D("133.67")
    assert numbers.fit(D("1E+150"), SCORE) is None
    assert numbers.fit(D("NaN"), SCORE) is None
    assert numbers.fit(None, SCORE) is None
    assert numbers.column_max(SCORE) == D("999.99")
