"""抽查复核's pure rules (evaluations.sampling) and 结果应用's (evaluations.application),
table-driven: what a seeded draw chooses, which departments are flagged, which suggestion a
score gives."""

import random
from decimal import Decimal

import pytest

from evaluations import application, sampling, scoring
from evaluations.sampling import EXCELLENT_LOW, FLAGGED, RANDOM, Candidate

D = Decimal


def pool(spec: dict[int, int]) -> list[Candidate]:
    """{department: how many} → plain candidates with ids 1, 2, … in department order."""
    found, next_id = [], 1
    for department, count in spec.items():
        for _ in range(count):
            found.append(Candidate(next_id, department))
            next_id += 1
    return found


@pytest.mark.parametrize(
    "count, percent, expected",
    [
        (0, D("20"), 0),
        (10, D("0"), 0),
        (10, D("20"), 2),
        (3, D("20"), 1),  # rounded up: 0.6 → 1
        (11, D("20"), 3),  # 2.2 → 3
        (10, D("100"), 10),
        (7, D("12.5"), 1),
    ],
)
def test_target_size(count, percent, expected):
    assert sampling.target_size(count, percent) == expected


@pytest.mark.parametrize(
    "candidate, reasons",
    [
        (Candidate(1, 1), []),
        (Candidate(1, 1, flagged=True), [FLAGGED]),
        (Candidate(1, 1, grade="优", rate=D("0.79")), [EXCELLENT_LOW]),
        (Candidate(1, 1, grade="优", rate=D("0.80")), []),  # not below the threshold
        (Candidate(1, 1, grade="良", rate=D("0.10")), []),
        (Candidate(1, 1, grade="优", rate=None), []),  # no rate known: not "low"
        (Candidate(1, 1, flagged=True, grade="优", rate=D("0.5")), [FLAGGED, EXCELLENT_LOW]),
    ],
)
def test_mandatory_reasons(candidate, reasons):
    assert sampling.mandatory_reasons(candidate, D("0.80")) == reasons


CASES = [
    # (departments: counts, percent, minimum, expected size, expected per department)
    ({1: 10}, D("20"), 1, 2, {1: 2}),
    ({1: 10, 2: 10}, D("10"), 1, 2, {1: 1, 2: 1}),
    ({1: 10, 2: 1}, D("0"), 1, 2, {1: 1, 2: 1}),  # the minimum alone
    ({1: 10, 2: 1}, D("0"), 3, 4, {1: 3, 2: 1}),  # a department with fewer: all of it
    ({1: 3, 2: 3}, D("100"), 0, 6, {1: 3, 2: 3}),
    ({1: 5}, D("0"), 0, 0, {}),
]


@pytest.mark.parametrize("spec, percent, minimum, size, per_department", CASES)
def test_draw_sizes(spec, percent, minimum, size, per_department):
    candidates = pool(spec)
    chosen = sampling.draw(
        candidates, percent=percent, minimum=minimum, low_execution=D("0.8"), seed=7
    )
    assert len(chosen) == size
    by_id = {c.id: c for c in candidates}
    counts: dict[int, int] = {}
    for pk in chosen:
        counts[by_id[pk].department] = counts.get(by_id[pk].department, 0) + 1
    assert counts == per_department
    assert all(reasons == [RANDOM] for reasons in chosen.values())


def test_mandatory_forms_are_always_chosen_and_count_towards_the_minimum():
    candidates = [
        *pool({1: 20}),
        Candidate(101, 2, flagged=True),
        Candidate(102, 2, grade="优", rate=D("0.5")),
        Candidate(103, 2, grade="优", rate=D("0.95")),
    ]
    for seed in range(30):
        chosen = sampling.draw(
            candidates, percent=D("0"), minimum=1, low_execution=D("0.8"), seed=seed
        )
        assert chosen[101] == [FLAGGED] and chosen[102] == [EXCELLENT_LOW]
        assert 103 not in chosen  # department 2 has its one already
        assert len(chosen) == 3  # + one random of department 1


def test_same_seed_same_sample_whatever_the_order_given():
    candidates = pool({1: 30, 2: 12, 3: 4})
    shuffled = list(candidates)
    random.Random(1).shuffle(shuffled)
    args = {"percent": D("25"), "minimum": 2, "low_execution": D("0.8")}
    first = sampling.draw(candidates, seed=12345, **args)
    assert sampling.draw(shuffled, seed=12345, **args) == first
    assert sampling.draw(candidates, seed=12345, **args) == first
    others = {tuple(sorted(sampling.draw(candidates, seed=s, **args))) for s in range(10)}
    assert len(others) > 1  # another seed, another sample


@pytest.mark.parametrize(
    "pairs, threshold, expected",
    [
        ([], D("5"), {}),
        ([(1, D("90"), None)], D("5"), {}),  # not re-checked: left out
        ([(1, D("90"), D("84"))], D("5"), {1: (1, D("6.00"), True)}),
        ([(1, D("90"), D("85"))], D("5"), {1: (1, D("5.00"), False)}),  # not more than
        # the mean over the department's forms: |−8| and |+2| → 5, not flagged
        ([(1, D("90"), D("82")), (1, D("80"), D("82"))], D("5"), {1: (2, D("5.00"), False)}),
        (
            [(1, D("90"), D("70")), (2, D("70"), D("71"))],
            D("5"),
            {1: (1, D("20.00"), True), 2: (1, D("1.00"), False)},
        ),
        ([(1, None, D("50"))], D("5"), {1: (1, D("50.00"), True)}),  # no self-score: 0
    ],
)
def test_department_differences(pairs, threshold, expected):
    found = sampling.department_differences(pairs, threshold)
    assert {k: (d.count, d.mean, d.flagged) for k, d in found.items()} == expected


POLICY = scoring.Policy(
    grade_thresholds=(("优", D("85")), ("良", D("75")), ("中", D("50"))),
)


@pytest.mark.parametrize(
    "own, review, recheck, policy, expected",
    [
        (None, None, None, scoring.DEFAULT_POLICY, ("未评价", "", "")),
        (D("95"), None, None, scoring.DEFAULT_POLICY, ("优", "优先保障", "自评分")),
        (D("95"), D("85"), None, scoring.DEFAULT_POLICY, ("良", "维持", "审核分")),
        (D("95"), D("85"), D("70"), scoring.DEFAULT_POLICY, ("中", "压减", "复核分")),
        (D("95"), None, D("59.99"), scoring.DEFAULT_POLICY, ("差", "取消或暂停", "复核分")),
        (D("89.995"), None, None, scoring.DEFAULT_POLICY, ("优", "优先保障", "自评分")),
        # the year's thresholds, not the defaults
        (D("86"), None, None, POLICY, ("优", "优先保障", "自评分")),
        (D("55"), None, None, POLICY, ("中", "压减", "自评分")),
        (D("0"), None, None, POLICY, ("差", "取消或暂停", "自评分")),
    ],
)
def test_grade_and_suggestion(own, review, recheck, policy, expected):
    assert application.grade_and_suggestion(own, review, recheck, policy) == expected
