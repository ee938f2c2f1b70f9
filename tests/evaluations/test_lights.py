"""The monitoring traffic lights (evaluations.lights), table-driven."""

import datetime
from decimal import Decimal as D

import pytest

from evaluations import lights

JULY_31 = datetime.date(2026, 7, 31)  # day 212 of 365: 时间进度 58.08%


def test_elapsed_share():
    assert lights.elapsed_share(datetime.date(2026, 1, 1)) == D(1) / D(365)
    assert lights.elapsed_share(datetime.date(2026, 12, 31)) == 1
    assert lights.elapsed_share(datetime.date(2024, 12, 31)) == 1  # leap year
    assert round(lights.elapsed_share(JULY_31), 4) == D("0.5808")


@pytest.mark.parametrize(
    ("budget", "executed", "predicted", "expected"),
    [
        (D("100"), D("58"), None, lights.GREEN),  # on time
        (D("100"), D("48.09"), None, lights.GREEN),  # 9.99 points behind
        (D("100"), D("48"), None, lights.YELLOW),  # 10.08 points behind
        (D("100"), D("38.09"), None, lights.YELLOW),
        (D("100"), D("38"), None, lights.RED),  # 20.08 points behind
        (D("100"), D("90"), D("100"), lights.GREEN),  # ahead of time
        (D("100"), D("58"), D("89"), lights.YELLOW),  # predicts 89%: 11 points short
        (D("100"), D("58"), D("79"), lights.RED),
        (D("100"), D("38"), D("100"), lights.RED),  # the worse of the two
        (D("100"), None, None, lights.NONE),  # nothing stated yet
        (None, D("10"), D("10"), lights.NONE),  # no budget
        (D("0"), D("10"), D("10"), lights.NONE),
    ],
)
def test_funds_light(budget, executed, predicted, expected):
    got = lights.funds_light(
        annual_budget=budget,
        executed_to_date=executed,
        predicted_execution=predicted,
        as_of=JULY_31,
        yellow_gap=D("0.10"),
        red_gap=D("0.20"),
    )
    assert got == expected


def test_funds_light_thresholds_come_from_the_policy():
    kwargs = dict(annual_budget=D("100"), executed_to_date=D("48"), predicted_execution=None)
    assert (
        lights.funds_light(**kwargs, as_of=JULY_31, yellow_gap=D("0.15"), red_gap=D("0.3"))
        == lights.GREEN
    )
    assert (
        lights.funds_light(**kwargs, as_of=JULY_31, yellow_gap=D("0.05"), red_gap=D("0.1"))
        == lights.RED
    )


@pytest.mark.parametrize(
    ("likelihood", "expected"),
    [
        ("certain", lights.GREEN),
        ("possible", lights.YELLOW),
        ("impossible", lights.RED),
        ("", lights.NONE),
        ("bogus", lights.NONE),
    ],
)
def test_line_light(likelihood, expected):
    assert lights.line_light(likelihood) == expected


def test_worst_and_reasons():
    assert lights.worst([]) == lights.NONE
    assert lights.worst([lights.NONE, lights.GREEN]) == lights.GREEN
    assert lights.worst([lights.GREEN, lights.RED, lights.YELLOW]) == lights.RED
    assert [lights.needs_reason(x) for x in ("", "green", "yellow", "red")] == [
        False,
        False,
        True,
        True,
    ]
