"""Table-driven tests of the scoring rules in docs/DOMAIN.md, section "Scoring"."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluations import scoring
from evaluations.scoring import (
    ACHIEVED,
    DEFAULT_POLICY,
    NOT_ACHIEVED,
    PARTIAL,
    Band,
    Policy,
    check_score,
    deviation_required,
    execution_deviation_required,
    execution_rate,
    execution_score,
    grade,
    parse_number,
    qualitative_range,
    qualitative_suggested,
    quantitative_score,
    round_score,
    suggested_score,
    total_score,
    weight_problems,
)

D = Decimal
P = pytest.param

PERCENT_0 = Policy(percent_places=0)
PERCENT_1 = Policy(percent_places=1)
SCORE_0 = Policy(score_places=0)
SCORE_1 = Policy(score_places=1)
SCORE_3 = Policy(score_places=3)
STRICT_BANDS = Policy(
    bands={
        ACHIEVED: Band(D("0.90"), D("1.00"), True, D("0.95")),
        PARTIAL: Band(D("0.50"), D("0.90"), False, D("0.70")),
        NOT_ACHIEVED: Band(D("0"), D("0.50"), False, D("0.20")),
    }
)
HEAVY_EXECUTION = Policy(
    execution_weight=D("20"),
    indicator_weight=D("80"),
    deviation_execution_threshold=D("0.95"),
)
LETTER_GRADES = Policy(
    # Deliberately not sorted: the order of the thresholds must not matter.
    grade_thresholds=(("B", D("75")), ("A", D("95"))),
    lowest_grade="C",
)

LEVEL1 = {"产出指标": D("50"), "效益指标": D("30"), "满意度指标": D("10")}


def assert_exact(result: Decimal | None, expected: str | None) -> None:
    """Equal in value *and* in representation, so "10.00" is not accepted for "10"."""
    if expected is None:
        assert result is None
        return
    assert isinstance(result, Decimal)
    assert result.as_tuple() == D(expected).as_tuple(), f"{result!r} != Decimal({expected!r})"


# --- constants ----------------------------------------------------------------------------


def test_comparators_and_labels() -> None:
    assert scoring.COMPARATORS == ("≥", ">", "=", "≤", "<", "定性")
    assert set(scoring.POSITIVE) == {"≥", ">", "="}
    assert set(scoring.NEGATIVE) == {"≤", "<"}
    assert scoring.QUALITATIVE == "定性"
    assert scoring.LEVEL_LABELS == {
        "achieved": "达成年度指标",
        "partial": "部分达成年度指标并具有一定效果",
        "not_achieved": "未达成年度指标且效果较差",
    }


def test_default_policy_values() -> None:
    assert DEFAULT_POLICY.execution_weight == D("10")
    assert DEFAULT_POLICY.indicator_weight == D("90")
    assert DEFAULT_POLICY.bands == {
        ACHIEVED: Band(D("0.80"), D("1.00"), True, D("1.00")),
        PARTIAL: Band(D("0.60"), D("0.80"), False, D("0.60")),
        NOT_ACHIEVED: Band(D("0.00"), D("0.60"), False, D("0.00")),
    }
    assert DEFAULT_POLICY.grade_thresholds == (("优", D("90")), ("良", D("80")), ("中", D("60")))
    assert DEFAULT_POLICY.lowest_grade == "差"
    assert DEFAULT_POLICY.score_places == 2
    assert DEFAULT_POLICY.percent_places == 2
    assert DEFAULT_POLICY.deviation_execution_threshold == D("0.90")


def test_policies_do_not_share_band_dicts() -> None:
    assert Policy().bands is not DEFAULT_POLICY.bands


@pytest.mark.parametrize(
    "kwargs",
    [
        P({"execution_weight": D("-1")}, id="negative-execution-weight"),
        P({"indicator_weight": D("-90")}, id="negative-indicator-weight"),
        P({"score_places": -1}, id="negative-score-places"),
        P({"percent_places": -1}, id="negative-percent-places"),
        P(
            {"bands": {ACHIEVED: Band(D("0.9"), D("0.8"), True, D("0.9"))}},
            id="band-low-above-high",
        ),
        P(
            {"bands": {ACHIEVED: Band(D("0.8"), D("1"), True, D("1.1"))}},
            id="band-suggested-above-high",
        ),
        P(
            {"bands": {PARTIAL: Band(D("-0.1"), D("0.8"), False, D("0"))}},
            id="band-negative-low",
        ),
    ],
)
def test_invalid_policy_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Policy(**kwargs)  # type: ignore[arg-type]


# --- rounding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "policy", "expected"),
    [
        P("2.675", DEFAULT_POLICY, "2.68", id="half-up-where-float-would-go-down"),
        P("2.665", DEFAULT_POLICY, "2.67", id="half-up-not-half-even"),
        P("0.005", DEFAULT_POLICY, "0.01", id="half-cent-up"),
        P("0.004999", DEFAULT_POLICY, "0.00", id="just-below-half-cent"),
        P("-2.675", DEFAULT_POLICY, "-2.68", id="negative-away-from-zero"),
        P("-0.001", DEFAULT_POLICY, "0.00", id="no-negative-zero"),
        P("10", DEFAULT_POLICY, "10.00", id="integer-gets-two-places"),
        P("9.6", DEFAULT_POLICY, "9.60", id="one-place-padded"),
        P("2.5", SCORE_0, "3", id="places-0-half-up"),
        P("3.5", SCORE_0, "4", id="places-0-odd-half-up"),
        P("1.0005", SCORE_3, "1.001", id="places-3"),
        P("6.65", SCORE_1, "6.7", id="places-1"),
    ],
)
def test_round_score(value: str, policy: Policy, expected: str) -> None:
    assert_exact(round_score(D(value), policy), expected)


# --- execution rate and score ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "executed", "policy", "expected"),
    [
        P("1302.99", "1247.79", DEFAULT_POLICY, "0.9576", id="seed-2020-two-places"),
        P("1302.99", "1247.79", PERCENT_0, "0.96", id="seed-2020-as-printed-96pct"),
        P("1302.99", "1247.79", PERCENT_1, "0.958", id="seed-2020-one-place"),
        P("158", "118.3", DEFAULT_POLICY, "0.7487", id="seed-summary-74.87pct"),
        P("100", "100", DEFAULT_POLICY, "1.0000", id="exactly-100pct"),
        P("100", "105", DEFAULT_POLICY, "1.0500", id="over-100pct-kept"),
        P("100", "0", DEFAULT_POLICY, "0.0000", id="nothing-executed"),
        P("100", "-5", DEFAULT_POLICY, "-0.0500", id="negative-execution-kept"),
        P("20000", "1", DEFAULT_POLICY, "0.0001", id="half-up-at-fifth-place"),
        P("8", "1", PERCENT_0, "0.13", id="half-up-12.5pct-to-13pct"),
        P("864.259", "800", DEFAULT_POLICY, "0.9256", id="three-decimal-budget"),
        P(None, "100", DEFAULT_POLICY, None, id="budget-missing"),
        P("100", None, DEFAULT_POLICY, None, id="execution-missing"),
        P("0", "10", DEFAULT_POLICY, None, id="zero-budget"),
        P("-5", "10", DEFAULT_POLICY, None, id="negative-budget"),
    ],
)
def test_execution_rate(
    budget: str | None, executed: str | None, policy: Policy, expected: str | None
) -> None:
    result = execution_rate(
        None if budget is None else D(budget),
        None if executed is None else D(executed),
        policy,
    )
    assert_exact(result, expected)


@pytest.mark.parametrize(
    ("rate", "policy", "expected"),
    [
        P("0.96", DEFAULT_POLICY, "9.60", id="seed-printed-rate"),
        P("0.9576", DEFAULT_POLICY, "9.58", id="seed-two-place-rate"),
        P("1", DEFAULT_POLICY, "10.00", id="full"),
        P("1.05", DEFAULT_POLICY, "10.00", id="over-100pct-capped"),
        P("0", DEFAULT_POLICY, "0.00", id="zero"),
        P("-0.05", DEFAULT_POLICY, "0.00", id="negative-floored"),
        P("0.0005", DEFAULT_POLICY, "0.01", id="half-up-0.005"),
        P("0.0004", DEFAULT_POLICY, "0.00", id="below-half"),
        P("0.9576", HEAVY_EXECUTION, "19.15", id="weight-20"),
        P("0.9576", SCORE_1, "9.6", id="score-places-1"),
        P(None, DEFAULT_POLICY, None, id="no-rate"),
    ],
)
def test_execution_score(rate: str | None, policy: Policy, expected: str | None) -> None:
    assert_exact(execution_score(None if rate is None else D(rate), policy), expected)


@pytest.mark.parametrize(
    ("policy", "expected_rate", "expected_score"),
    [
        P(PERCENT_0, "0.96", "9.60", id="percent-places-0"),
        P(DEFAULT_POLICY, "0.9576", "9.58", id="percent-places-2"),
    ],
)
def test_seed_execution_end_to_end(policy: Policy, expected_rate: str, expected_score: str) -> None:
    rate = execution_rate(D("1302.99"), D("1247.79"), policy)
    assert_exact(rate, expected_rate)
    assert_exact(execution_score(rate, policy), expected_score)


# --- quantitative indicators --------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparator", "target", "actual", "weight", "expected"),
    [
        # 正向 ≥
        P("≥", "45", "30", "20", "13.33", id="ge-below-target"),
        P("≥", "45", "45", "20", "20.00", id="ge-at-target"),
        P("≥", "45", "50", "20", "20.00", id="ge-over-target"),
        P("≥", "95", "94", "10", "9.89", id="ge-satisfaction-94-of-95"),
        P("≥", "3", "2", "10", "6.67", id="ge-two-thirds-rounds-up"),
        P("≥", "3", "1", "10", "3.33", id="ge-one-third-rounds-down"),
        P("≥", "8", "1", "1", "0.13", id="ge-half-up-0.125"),
        P("≥", "200", "1", "1", "0.01", id="ge-half-up-0.005"),
        P("≥", "30", "0", "10", "0.00", id="ge-actual-zero"),
        P("≥", "30", "-5", "10", "0.00", id="ge-negative-actual-clamped"),
        P("≥", "0", "0", "5", "5.00", id="ge-target-0-met"),
        P("≥", "0", "3", "5", "5.00", id="ge-target-0-exceeded"),
        P("≥", "0", "-1", "5", "0.00", id="ge-target-0-missed"),
        P("≥", "-2", "-1", "5", "5.00", id="ge-negative-target-met"),
        P("≥", "45", "30", "0", "0.00", id="ge-zero-weight"),
        P("≥", "45", "45", "0", "0.00", id="ge-zero-weight-met"),
        # 正向 >
        P(">", "10", "10", "50", "50.00", id="gt-at-equality-full"),
        P(">", "10", "9", "50", "45.00", id="gt-below"),
        P(">", "10", "11", "50", "50.00", id="gt-over"),
        P(">", "-2", "-3", "5", "0.00", id="gt-negative-target-missed"),
        P(">", "0", "0", "5", "5.00", id="gt-target-0-equality"),
        # 正向 =
        P("=", "100", "100", "10", "10.00", id="eq-met"),
        P("=", "100", "80", "10", "8.00", id="eq-below"),
        P("=", "100", "120", "10", "10.00", id="eq-over"),
        P("=", "0", "0", "5", "5.00", id="eq-target-0-actual-0"),
        P("=", "0", "-1", "5", "5.00", id="eq-target-0-actual-negative"),
        P("=", "0", "1", "5", "0.00", id="eq-target-0-actual-positive"),
        P("=", "0", "0.01", "5", "0.00", id="eq-target-0-actual-tiny-positive"),
        P("=", "-5", "-5", "5", "5.00", id="eq-negative-target-met"),
        P("=", "-5", "-6", "5", "0.00", id="eq-negative-target-missed"),
        # 反向 ≤
        P("≤", "2", "2", "10", "10.00", id="le-at-target"),
        P("≤", "2", "1", "10", "10.00", id="le-below-target"),
        P("≤", "2", "3", "10", "5.00", id="le-between-half"),
        P("≤", "2", "2.5", "10", "7.50", id="le-between-quarter"),
        P("≤", "2", "4", "10", "0.00", id="le-exactly-double"),
        P("≤", "2", "5", "10", "0.00", id="le-above-double"),
        P("≤", "2", "-1", "10", "10.00", id="le-negative-actual"),
        P("≤", "8", "15", "1", "0.13", id="le-half-up-0.125"),
        P("≤", "0", "0", "10", "10.00", id="le-target-0-met"),
        P("≤", "0", "-1", "10", "10.00", id="le-target-0-below"),
        P("≤", "0", "1", "10", "0.00", id="le-target-0-exceeded"),
        P("≤", "-1", "-2", "10", "10.00", id="le-negative-target-met"),
        P("≤", "-1", "0", "10", "0.00", id="le-negative-target-exceeded"),
        P("≤", "2", "3", "0", "0.00", id="le-zero-weight"),
        # 反向 <
        P("<", "2", "2", "10", "10.00", id="lt-at-equality-full"),
        P("<", "3", "4", "10", "6.67", id="lt-between-rounds-up"),
        P("<", "2", "3.99", "10", "0.05", id="lt-just-below-double"),
        P("<", "2", "4", "10", "0.00", id="lt-exactly-double"),
    ],
)
def test_quantitative_score(
    comparator: str, target: str, actual: str, weight: str, expected: str
) -> None:
    assert_exact(quantitative_score(comparator, D(target), D(actual), D(weight)), expected)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        P(SCORE_0, "7", id="places-0"),
        P(SCORE_1, "6.7", id="places-1"),
        P(SCORE_3, "6.667", id="places-3"),
    ],
)
def test_quantitative_score_follows_score_places(policy: Policy, expected: str) -> None:
    assert_exact(quantitative_score("≥", D("3"), D("2"), D("10"), policy), expected)


@pytest.mark.parametrize(
    ("comparator", "weight"),
    [
        P("定性", "10", id="qualitative"),
        P("≠", "10", id="unknown-symbol"),
        P("", "10", id="empty"),
        P(">=", "10", id="ascii-ge-not-a-stored-value"),
        P("≥", "-1", id="negative-weight"),
    ],
)
def test_quantitative_score_refuses(comparator: str, weight: str) -> None:
    with pytest.raises(ValueError):
        quantitative_score(comparator, D("10"), D("5"), D(weight))


# --- qualitative indicators ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "weight", "policy", "expected"),
    [
        P(ACHIEVED, "10", DEFAULT_POLICY, ("8.00", "10.00", True), id="achieved-10"),
        P(PARTIAL, "10", DEFAULT_POLICY, ("6.00", "8.00", False), id="partial-10"),
        P(NOT_ACHIEVED, "10", DEFAULT_POLICY, ("0.00", "6.00", False), id="not-achieved-10"),
        P(ACHIEVED, "5", DEFAULT_POLICY, ("4.00", "5.00", True), id="achieved-5"),
        # 0.8 × 3.33 = 2.664 and 0.6 × 3.33 = 1.998: bounds are rounded like any score.
        P(ACHIEVED, "3.33", DEFAULT_POLICY, ("2.66", "3.33", True), id="achieved-3.33"),
        P(PARTIAL, "3.33", DEFAULT_POLICY, ("2.00", "2.66", False), id="partial-3.33"),
        P(NOT_ACHIEVED, "3.33", DEFAULT_POLICY, ("0.00", "2.00", False), id="not-ach-3.33"),
        P(PARTIAL, "0", DEFAULT_POLICY, ("0.00", "0.00", False), id="partial-zero-weight"),
        P(ACHIEVED, "10", STRICT_BANDS, ("9.00", "10.00", True), id="custom-achieved"),
        P(PARTIAL, "10", STRICT_BANDS, ("5.00", "9.00", False), id="custom-partial"),
        P(PARTIAL, "10", SCORE_0, ("6", "8", False), id="places-0"),
    ],
)
def test_qualitative_range(
    level: str, weight: str, policy: Policy, expected: tuple[str, str, bool]
) -> None:
    low, high, high_inclusive = qualitative_range(level, D(weight), policy)
    assert_exact(low, expected[0])
    assert_exact(high, expected[1])
    assert high_inclusive is expected[2]


@pytest.mark.parametrize(
    ("level", "weight", "policy", "expected"),
    [
        P(ACHIEVED, "10", DEFAULT_POLICY, "10.00", id="achieved"),
        P(PARTIAL, "10", DEFAULT_POLICY, "6.00", id="partial"),
        P(NOT_ACHIEVED, "10", DEFAULT_POLICY, "0.00", id="not-achieved"),
        P(PARTIAL, "3.33", DEFAULT_POLICY, "2.00", id="partial-rounded"),
        P(ACHIEVED, "0", DEFAULT_POLICY, "0.00", id="zero-weight"),
        P(ACHIEVED, "10", STRICT_BANDS, "9.50", id="custom-achieved"),
        P(PARTIAL, "10", STRICT_BANDS, "7.00", id="custom-partial"),
        P(NOT_ACHIEVED, "10", STRICT_BANDS, "2.00", id="custom-not-achieved"),
    ],
)
def test_qualitative_suggested(level: str, weight: str, policy: Policy, expected: str) -> None:
    assert_exact(qualitative_suggested(level, D(weight), policy), expected)


@pytest.mark.parametrize(
    "level",
    [
        P("excellent", id="unknown"),
        P("达成年度指标", id="label-is-not-a-stored-value"),
        P("", id="empty"),
    ],
)
def test_unknown_level_is_refused(level: str) -> None:
    with pytest.raises(ValueError):
        qualitative_range(level, D("10"))
    with pytest.raises(ValueError):
        qualitative_suggested(level, D("10"))


# --- validating an entered score ----------------------------------------------------------

MSG_ACHIEVED = "“达成年度指标”的得分须在8.00分至10.00分之间"
MSG_PARTIAL = "“部分达成年度指标并具有一定效果”的得分须在6.00分至8.00分（不含）之间"
MSG_NOT_ACHIEVED = "“未达成年度指标且效果较差”的得分须在0.00分至6.00分（不含）之间"


@pytest.mark.parametrize(
    ("comparator", "weight", "score", "level", "policy", "expected"),
    [
        # 定性, at and around every band boundary
        P("定性", "10", "10", ACHIEVED, DEFAULT_POLICY, None, id="achieved-top"),
        P("定性", "10", "8", ACHIEVED, DEFAULT_POLICY, None, id="achieved-0.80-inclusive"),
        P("定性", "10", "7.99", ACHIEVED, DEFAULT_POLICY, MSG_ACHIEVED, id="achieved-below"),
        P("定性", "10", "0", ACHIEVED, DEFAULT_POLICY, MSG_ACHIEVED, id="achieved-zero"),
        P("定性", "10", "8", PARTIAL, DEFAULT_POLICY, MSG_PARTIAL, id="partial-0.80-exclusive"),
        P("定性", "10", "7.99", PARTIAL, DEFAULT_POLICY, None, id="partial-just-below-0.80"),
        P("定性", "10", "6", PARTIAL, DEFAULT_POLICY, None, id="partial-0.60-inclusive"),
        P("定性", "10", "5.99", PARTIAL, DEFAULT_POLICY, MSG_PARTIAL, id="partial-below-0.60"),
        P("定性", "10", "10", PARTIAL, DEFAULT_POLICY, MSG_PARTIAL, id="partial-full"),
        P("定性", "10", "6", NOT_ACHIEVED, DEFAULT_POLICY, MSG_NOT_ACHIEVED, id="not-0.60-excl"),
        P("定性", "10", "5.99", NOT_ACHIEVED, DEFAULT_POLICY, None, id="not-just-below-0.60"),
        P("定性", "10", "0", NOT_ACHIEVED, DEFAULT_POLICY, None, id="not-zero"),
        P(
            "定性",
            "3.33",
            "2.66",
            ACHIEVED,
            DEFAULT_POLICY,
            None,
            id="achieved-rounded-boundary",
        ),
        P(
            "定性",
            "3.33",
            "2.66",
            PARTIAL,
            DEFAULT_POLICY,
            "“部分达成年度指标并具有一定效果”的得分须在2.00分至2.66分（不含）之间",
            id="partial-rounded-boundary",
        ),
        P("定性", "3.33", "2.65", PARTIAL, DEFAULT_POLICY, None, id="partial-3.33-inside"),
        P(
            "定性",
            "10",
            "8.5",
            ACHIEVED,
            STRICT_BANDS,
            "“达成年度指标”的得分须在9.00分至10.00分之间",
            id="custom-band",
        ),
        P("定性", "10", "5", None, DEFAULT_POLICY, "定性指标须选择完成等级", id="no-level"),
        P("定性", "10", "5", "", DEFAULT_POLICY, "定性指标须选择完成等级", id="empty-level"),
        P("定性", "10", "5", "good", DEFAULT_POLICY, "请选择有效的完成等级", id="bad-level"),
        P(
            "定性",
            "10",
            "10.01",
            ACHIEVED,
            DEFAULT_POLICY,
            "得分必须在0到10分之间",
            id="qualitative-over-weight",
        ),
        P(
            "定性",
            "10",
            "-1",
            NOT_ACHIEVED,
            DEFAULT_POLICY,
            "得分必须在0到10分之间",
            id="qualitative-negative",
        ),
        P(
            "定性",
            "10",
            "8.005",
            ACHIEVED,
            DEFAULT_POLICY,
            "得分最多保留2位小数",
            id="qualitative-three-decimals",
        ),
        # quantitative: only the range and the decimals are checked
        P("≥", "20", "13.33", None, DEFAULT_POLICY, None, id="quantitative-inside"),
        P("≥", "20", "20", None, DEFAULT_POLICY, None, id="quantitative-full"),
        P("≥", "20", "0", None, DEFAULT_POLICY, None, id="quantitative-zero"),
        P("≤", "20", "7", ACHIEVED, DEFAULT_POLICY, None, id="quantitative-ignores-level"),
        P(
            "≥",
            "20",
            "20.01",
            None,
            DEFAULT_POLICY,
            "得分必须在0到20分之间",
            id="quantitative-over-weight",
        ),
        P(
            "≥",
            "20",
            "-0.01",
            None,
            DEFAULT_POLICY,
            "得分必须在0到20分之间",
            id="quantitative-negative",
        ),
        P(
            "≥",
            "20.00",
            "21",
            None,
            DEFAULT_POLICY,
            "得分必须在0到20分之间",
            id="weight-shown-without-trailing-zeros",
        ),
        P(
            "≤",
            "12.5",
            "12.6",
            None,
            DEFAULT_POLICY,
            "得分必须在0到12.5分之间",
            id="fractional-weight",
        ),
        P("≥", "0", "0", None, DEFAULT_POLICY, None, id="zero-weight-zero-score"),
        P(
            "≥",
            "0",
            "1",
            None,
            DEFAULT_POLICY,
            "得分必须在0到0分之间",
            id="zero-weight-positive-score",
        ),
        P(
            "≥",
            "20",
            "13.333",
            None,
            DEFAULT_POLICY,
            "得分最多保留2位小数",
            id="three-decimals",
        ),
        P("≥", "20", "13.330", None, DEFAULT_POLICY, None, id="trailing-zero-is-fine"),
        P("=", "10", "NaN", None, DEFAULT_POLICY, "得分必须是有效数字", id="nan"),
        P("≥", "10", "9.5", None, SCORE_0, "得分必须为整数", id="places-0"),
        P("≥", "10", "9.55", None, SCORE_1, "得分最多保留1位小数", id="places-1"),
        P("≥", "10", "9.5", None, SCORE_1, None, id="places-1-ok"),
    ],
)
def test_check_score(
    comparator: str,
    weight: str,
    score: str,
    level: str | None,
    policy: Policy,
    expected: str | None,
) -> None:
    assert check_score(comparator, D(weight), D(score), level, policy) == expected


def test_check_score_refuses_unknown_comparator() -> None:
    with pytest.raises(ValueError):
        check_score("≠", D("10"), D("5"))


# --- suggested score ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparator", "weight", "target", "actual", "level", "expected"),
    [
        P("定性", "10", None, None, ACHIEVED, "10.00", id="qualitative-achieved"),
        P("定性", "10", None, None, PARTIAL, "6.00", id="qualitative-partial"),
        P("定性", "10", None, None, NOT_ACHIEVED, "0.00", id="qualitative-not-achieved"),
        P("定性", "10", "5", "5", ACHIEVED, "10.00", id="qualitative-ignores-values"),
        P("定性", "10", None, None, None, None, id="qualitative-no-level"),
        P("定性", "10", None, None, "", None, id="qualitative-empty-level"),
        P("≥", "20", "45", "30", None, "13.33", id="ge"),
        P("≤", "10", "2", "3", ACHIEVED, "5.00", id="le-ignores-level"),
        P("=", "5", "0", "1", None, "0.00", id="eq-zero-target"),
        P("≥", "20", None, "30", None, None, id="no-target"),
        P("≤", "10", "2", None, None, None, id="no-actual"),
        P(">", "10", None, None, None, None, id="neither"),
    ],
)
def test_suggested_score(
    comparator: str,
    weight: str,
    target: str | None,
    actual: str | None,
    level: str | None,
    expected: str | None,
) -> None:
    result = suggested_score(
        comparator,
        D(weight),
        None if target is None else D(target),
        None if actual is None else D(actual),
        level,
    )
    assert_exact(result, expected)


def test_suggested_score_follows_policy() -> None:
    assert_exact(suggested_score("定性", D("10"), None, None, PARTIAL, STRICT_BANDS), "7.00")
    assert_exact(suggested_score("≥", D("10"), D("3"), D("2"), None, SCORE_3), "6.667")


@pytest.mark.parametrize(
    ("comparator", "level"),
    [
        P("定性", "excellent", id="unknown-level"),
        P("≠", None, id="unknown-comparator-without-values"),
    ],
)
def test_suggested_score_refuses(comparator: str, level: str | None) -> None:
    with pytest.raises(ValueError):
        suggested_score(comparator, D("10"), None, None, level)


# --- deviation reasons --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "weight", "expected"),
    [
        P(None, "10", False, id="no-score-yet"),
        P("10", "10", False, id="full"),
        P("10.00", "10", False, id="full-with-places"),
        P("9.99", "10", True, id="just-below"),
        P("0", "10", True, id="zero"),
        P("0", "0", False, id="zero-weight"),
    ],
)
def test_deviation_required(score: str | None, weight: str, expected: bool) -> None:
    assert deviation_required(None if score is None else D(score), D(weight)) is expected


@pytest.mark.parametrize(
    ("rate", "policy", "expected"),
    [
        P(None, DEFAULT_POLICY, False, id="no-rate"),
        P("0.90", DEFAULT_POLICY, False, id="exactly-90pct"),
        P("0.8999", DEFAULT_POLICY, True, id="just-below-90pct"),
        P("0.9576", DEFAULT_POLICY, False, id="seed"),
        P("0", DEFAULT_POLICY, True, id="zero"),
        P("1.05", DEFAULT_POLICY, False, id="over-100pct"),
        P("0.9499", HEAVY_EXECUTION, True, id="custom-threshold-below"),
        P("0.95", HEAVY_EXECUTION, False, id="custom-threshold-at"),
    ],
)
def test_execution_deviation_required(rate: str | None, policy: Policy, expected: bool) -> None:
    result = execution_deviation_required(None if rate is None else D(rate), policy)
    assert result is expected


# --- total and grade ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("execution", "indicators", "policy", "expected"),
    [
        P("9.60", ["50", "30", "10"], DEFAULT_POLICY, "99.60", id="seed-2020"),
        P("10", ["50", "30", "10"], DEFAULT_POLICY, "100.00", id="full-marks"),
        P("9.6", [None, "20", "13.33"], DEFAULT_POLICY, "42.93", id="missing-indicator-score"),
        P(None, ["45", "30"], DEFAULT_POLICY, "75.00", id="missing-execution"),
        P(None, [None, None], DEFAULT_POLICY, "0.00", id="all-missing"),
        P(None, [], DEFAULT_POLICY, "0.00", id="nothing"),
        P("0.005", [], DEFAULT_POLICY, "0.01", id="half-up"),
        P("9.58", ["13.33"], SCORE_1, "22.9", id="places-1"),
    ],
)
def test_total_score(
    execution: str | None, indicators: list[str | None], policy: Policy, expected: str
) -> None:
    scores = (None if s is None else D(s) for s in indicators)  # any iterable, even one-shot
    assert_exact(total_score(None if execution is None else D(execution), scores, policy), expected)


@pytest.mark.parametrize(
    ("total", "policy", "expected"),
    [
        P("100", DEFAULT_POLICY, "优", id="100"),
        P("90", DEFAULT_POLICY, "优", id="exactly-90"),
        P("89.99", DEFAULT_POLICY, "良", id="89.99"),
        P("89.995", DEFAULT_POLICY, "优", id="shown-as-90.00"),
        P("89.994", DEFAULT_POLICY, "良", id="shown-as-89.99"),
        P("80", DEFAULT_POLICY, "良", id="exactly-80"),
        P("79.99", DEFAULT_POLICY, "中", id="79.99"),
        P("60", DEFAULT_POLICY, "中", id="exactly-60"),
        P("59.99", DEFAULT_POLICY, "差", id="59.99"),
        P("0", DEFAULT_POLICY, "差", id="zero"),
        P(None, DEFAULT_POLICY, None, id="no-total"),
        P("95", LETTER_GRADES, "A", id="custom-top"),
        P("94.99", LETTER_GRADES, "B", id="custom-middle"),
        P("75", LETTER_GRADES, "B", id="custom-at-lower"),
        P("74.99", LETTER_GRADES, "C", id="custom-lowest"),
    ],
)
def test_grade(total: str | None, policy: Policy, expected: str | None) -> None:
    assert grade(None if total is None else D(total), policy) == expected


# --- parsing what clerks type -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        P("45", "45", id="integer"),
        P(" 45 ", "45", id="spaces"),
        P("\u300045\u3000", "45", id="full-width-spaces"),
        P("1,000", "1000", id="thousands"),
        P("1,000.50", "1000.50", id="thousands-with-decimals"),
        P("1 000", "1000", id="space-grouping"),
        P("１，０００", "1000", id="full-width-thousands"),
        P("９５％", "95", id="full-width-percent"),
        P("95%", "95", id="percent-kept-as-number"),
        P("95 %", "95", id="percent-after-space"),
        P("95.5%", "95.5", id="percent-with-decimals"),
        P("-3", "-3", id="negative"),
        P("－３", "-3", id="full-width-negative"),
        P("−3", "-3", id="unicode-minus"),
        P("+3", "3", id="explicit-plus"),
        P("＋３．５", "3.5", id="full-width-plus-and-point"),
        P("3.50", "3.50", id="keeps-places"),
        P("864.259", "864.259", id="three-places"),
        P(".5", "0.5", id="leading-point"),
        P("45.", "45", id="trailing-point"),
        P("0", "0", id="zero"),
        P("-0", "0", id="negative-zero"),
        P("大幅提升", None, id="qualitative-text"),
        P("", None, id="empty"),
        P("   ", None, id="blank"),
        P(None, None, id="none"),
        P("NaN", None, id="nan"),
        P("nan", None, id="nan-lower"),
        P("inf", None, id="inf"),
        P("Infinity", None, id="infinity"),
        P("-inf", None, id="negative-inf"),
        P("1e999", None, id="exponent-huge"),
        P("1e5", None, id="exponent"),
        P("%", None, id="percent-only"),
        P("95%%", None, id="double-percent"),
        P("%95", None, id="leading-percent"),
        P("1.2.3", None, id="two-points"),
        P("--3", None, id="double-sign"),
        P("45万件", None, id="with-unit"),
        P("≥95", None, id="with-comparator"),
        P("0x10", None, id="hex"),
        P(".", None, id="point-only"),
        P("-", None, id="sign-only"),
        P("٣", None, id="non-ascii-digit"),
    ],
)
def test_parse_number(text: str | None, expected: str | None) -> None:
    assert_exact(parse_number(text), expected)


# --- weights ------------------------------------------------------------------------------


def rows(*pairs: tuple[str, str]) -> list[tuple[str, Decimal]]:
    return [(name, D(weight)) for name, weight in pairs]


@pytest.mark.parametrize(
    ("weights", "level1", "policy", "expected"),
    [
        P(
            rows(("产出指标", "20"), ("产出指标", "30"), ("效益指标", "30"), ("满意度指标", "10")),
            LEVEL1,
            DEFAULT_POLICY,
            [],
            id="balanced",
        ),
        P(
            rows(("产出指标", "20"), ("产出指标", "25"), ("效益指标", "30"), ("满意度指标", "10")),
            LEVEL1,
            DEFAULT_POLICY,
            ["产出指标的分值合计为45.00，应为50", "指标分值合计为85.00，应为90"],
            id="level1-short",
        ),
        P(
            rows(("产出指标", "50"), ("效益指标", "30")),
            LEVEL1,
            DEFAULT_POLICY,
            ["满意度指标的分值合计为0.00，应为10", "指标分值合计为80.00，应为90"],
            id="level1-without-rows",
        ),
        P(
            rows(("产出指标", "60"), ("效益指标", "20"), ("满意度指标", "10")),
            LEVEL1,
            DEFAULT_POLICY,
            ["产出指标的分值合计为60.00，应为50", "效益指标的分值合计为20.00，应为30"],
            id="compensating-errors-total-fine",
        ),
        P(
            rows(("产出指标", "40"), ("效益指标", "30"), ("满意度指标", "10"), ("成本指标", "10")),
            LEVEL1,
            DEFAULT_POLICY,
            ["产出指标的分值合计为40.00，应为50", "一级指标“成本指标”未设置分值"],
            id="unknown-level1",
        ),
        P(
            rows(("产出指标", "55"), ("产出指标", "-5"), ("效益指标", "30"), ("满意度指标", "10")),
            LEVEL1,
            DEFAULT_POLICY,
            ["产出指标下的指标分值不能为负数（-5.00）"],
            id="negative-weight",
        ),
        P(
            rows(("产出指标", "50.00"), ("效益指标", "30.00"), ("满意度指标", "10.00")),
            {"产出指标": D("50.00"), "效益指标": D("30.00"), "满意度指标": D("10.00")},
            DEFAULT_POLICY,
            [],
            id="weights-with-places",
        ),
        P(
            rows(("产出指标", "33.333"), ("产出指标", "33.333"), ("产出指标", "33.333")),
            {"产出指标": D("100")},
            Policy(indicator_weight=D("100")),
            ["产出指标的分值合计为99.999，应为100", "指标分值合计为99.999，应为100"],
            id="unrounded-sum-shown-exactly",
        ),
        P(
            rows(("产出指标", "40"), ("效益指标", "30"), ("满意度指标", "10")),
            {"产出指标": D("40"), "效益指标": D("30"), "满意度指标": D("10")},
            HEAVY_EXECUTION,
            [],
            id="custom-indicator-weight-80",
        ),
        P(
            rows(("产出指标", "45")),
            {"产出指标": D("50")},
            Policy(score_places=0, indicator_weight=D("50")),
            ["产出指标的分值合计为45，应为50", "指标分值合计为45，应为50"],
            id="places-0",
        ),
        P([], {}, DEFAULT_POLICY, ["指标分值合计为0.00，应为90"], id="nothing"),
    ],
)
def test_weight_problems(
    weights: list[tuple[str, Decimal]],
    level1: dict[str, Decimal],
    policy: Policy,
    expected: list[str],
) -> None:
    assert weight_problems(weights, level1, policy) == expected


def test_weight_problems_accepts_a_generator() -> None:
    one_shot = ((name, weight) for name, weight in rows(("产出指标", "50"), ("效益指标", "40")))
    assert weight_problems(one_shot, {"产出指标": D("50"), "效益指标": D("40")}) == []
