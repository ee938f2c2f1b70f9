"""The evaluations app's rows out of range, for `manage.py repair_numbers` and the migration
that adds the check constraints (see budgets.repair for how a value is found and repaired)."""

from budgets.repair import Change, CrossRule, audit_model, repair

# The domain's bounds, tighter than the columns: a line's weight and scores are at most 100.
_SCORES = ("score", "suggested_score", "review_score")
BOUNDS = {("evaluations.IndicatorResult", name): 100 for name in _SCORES} | {
    ("evaluations.Indicator", "weight"): 100
}
CROSS = (
    CrossRule(
        model="evaluations.IndicatorResult",
        fields=_SCORES,
        join_table="evaluations_indicator",
        join_column="indicator_id",
        bound_column="weight",
        note="超过本行分值（{bound}分）",
    ),
)


def repair_evaluations(apps, *, dry_run: bool = False, using: str = "default") -> list[Change]:
    return repair(
        [
            apps.get_model("evaluations", name)
            for name in ("Indicator", "IndicatorResult", "SelfEvaluation")
        ],
        audit_model=audit_model(apps),
        bounds=BOUNDS,
        cross=CROSS,
        dry_run=dry_run,
        using=using,
    )
