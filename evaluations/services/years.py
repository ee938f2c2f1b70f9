"""Creating and changing a year: its row and the standard indicator classification its forms are
scored by (the classification is this app's knowledge, so the year is created here, not in
budgets), and the recompute of its stored figures when its scoring policy changes."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from budgets.models import FiscalYear
from core.audit import audit_record, diff, field_values

# `tasks` calls back into this package when a task runs: a module import, read at call time, so
# either may be imported first.
from .. import tasks
from ..models import IndicatorCategory
from .common import year_recompute

# The fields of a year that the stored suggestions, 执行率, totals, grades and flags depend on.
POLICY_FIELDS = (
    "execution_weight",
    "indicator_weight",
    "band_achieved_low",
    "band_partial_low",
    "grade_excellent",
    "grade_good",
    "grade_pass",
    "score_places",
    "percent_places",
    "deviation_execution_threshold",
)
# 绩效运行监控's light thresholds (evaluations.lights): a change re-lights the year's 监控表 at
# once (services.monitoring.monitoring_lights_recompute), no score is touched.
MONITORING_FIELDS = ("monitoring_yellow_gap", "monitoring_red_gap")
# 抽查复核 and 结果应用 settings: read when a sample is drawn or a table built, nothing stored
# depends on them (no recompute).
SPOT_CHECK_FIELDS = (
    "sample_percent",
    "sample_min_per_department",
    "sample_low_execution",
    "spot_check_difference_threshold",
)
# What an administrator may set on a year (the recompute bookkeeping is the task's).
YEAR_FIELDS = (
    "year",
    "is_current",
    "target_deadline",
    "evaluation_open",
    "evaluation_deadline",
    "require_head_confirmation",
    "require_supervisor_review",
    *POLICY_FIELDS,
    *MONITORING_FIELDS,
    *SPOT_CHECK_FIELDS,
)

STANDARD_TREE: dict[str, tuple[Decimal | None, list[str]]] = {
    "产出指标": (Decimal("50"), ["数量指标", "质量指标", "时效指标", "成本指标"]),
    "效益指标": (Decimal("30"), ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"]),
    "满意度指标": (Decimal("10"), ["服务对象满意度指标"]),
}
# Newer guides (some provinces) use a separate 一级 成本指标; seeded inactive with weight 0 so an
# administrator can switch it on for a year without touching code.
OPTIONAL_TREE: dict[str, tuple[Decimal | None, list[str]]] = {
    "成本指标": (Decimal("0"), ["经济成本指标", "社会成本指标", "生态环境成本指标"]),
}

_UNAUDITED = object()


def indicator_tree_seed(*, fiscal_year: FiscalYear, actor: Any = _UNAUDITED) -> int:
    """Give a year the standard 一级/二级 classification (idempotent); returns how many categories
    were added. With `actor` (None for the command line) an addition is audited on the year; the
    year's creation audits its own seeding."""
    added = 0
    with transaction.atomic():
        order = 0
        for tree, active in ((STANDARD_TREE, True), (OPTIONAL_TREE, False)):
            for level1_name, (weight, level2_names) in tree.items():
                order += 1
                level1, created = IndicatorCategory.objects.get_or_create(
                    year=fiscal_year,
                    parent=None,
                    name=level1_name,
                    defaults={"weight": weight, "order": order, "is_active": active},
                )
                added += created
                for level2_name in level2_names:
                    order += 1
                    _, created = IndicatorCategory.objects.get_or_create(
                        year=fiscal_year,
                        parent=level1,
                        name=level2_name,
                        defaults={"order": order, "is_active": active},
                    )
                    added += created
        if added and actor is not _UNAUDITED:
            audit_record(
                actor=actor,
                action="补齐指标分类",
                obj=fiscal_year,
                changes={"指标分类": [None, f"新增{added}个"]},
            )
    return added


def fiscal_year_create(
    *, year: int, actor=None, is_current: bool = False, seed: bool = True, **policy: Any
) -> FiscalYear:
    """Create a year with the default policy and the standard indicator classification (without
    `seed`, the caller gives it one: opening a year from the last copies the last one's)."""
    with transaction.atomic():
        if is_current:
            FiscalYear.objects.filter(is_current=True).update(is_current=False)
        fiscal_year = FiscalYear.objects.create(year=year, is_current=is_current, **policy)
        if seed:
            indicator_tree_seed(fiscal_year=fiscal_year)
        audit_record(
            actor=actor,
            action="创建年度",
            obj=fiscal_year,
            changes=diff({}, field_values(fiscal_year)),
        )
    return fiscal_year


def fiscal_year_update(*, fiscal_year: FiscalYear, actor, **values: Any) -> FiscalYear:
    """Change a year's settings (one audit record). A change to its scoring policy queues a
    recompute of the year's stored figures, enqueued after commit so the task reads the new
    policy; the year shows 重算中 until it is done."""
    unknown = set(values) - set(YEAR_FIELDS)
    if unknown:
        raise TypeError(f"not a year setting: {sorted(unknown)}")
    with transaction.atomic():
        year = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
        old = field_values(year)
        old_policy = [getattr(year, name) for name in POLICY_FIELDS]
        old_gaps = [getattr(year, name) for name in MONITORING_FIELDS]
        for name, value in values.items():
            setattr(year, name, value)
        if year.is_current and not old["is_current"]:
            FiscalYear.objects.filter(is_current=True).exclude(pk=year.pk).update(is_current=False)
        # compared as values (Decimal("80") == Decimal("80.00")), not as their audit text
        policy_changed = old_policy != [getattr(year, name) for name in POLICY_FIELDS]
        year.save()
        year.refresh_from_db()  # the stored values, so the audit shows no "80" → "80.00"
        changes = diff(old, field_values(year))
        if policy_changed:
            year_recompute_request(fiscal_year=year)
        if old_gaps != [getattr(year, name) for name in MONITORING_FIELDS]:
            from .monitoring import monitoring_lights_recompute  # monitoring imports this module

            monitoring_lights_recompute(fiscal_year=year)
        if changes:
            audit_record(actor=actor, action="修改年度", obj=year, changes=changes)
    fiscal_year.__dict__.update(
        {f.attname: getattr(year, f.attname) for f in FiscalYear._meta.concrete_fields}
    )
    return fiscal_year


def year_recompute_request(*, fiscal_year: FiscalYear) -> int:
    """Ask for the year's figures to be recomputed in the background; returns the request's
    number. Call inside the transaction that changed the policy: the task is enqueued when it
    commits (never seeing the old policy), and not at all if it rolls back."""
    FiscalYear.objects.filter(pk=fiscal_year.pk).update(
        recompute_requested=F("recompute_requested") + 1
    )
    request = FiscalYear.objects.values_list("recompute_requested", flat=True).get(
        pk=fiscal_year.pk
    )
    fiscal_year.recompute_requested = request
    year_id = fiscal_year.pk
    transaction.on_commit(lambda: tasks.recompute_year.delay(year_id, request))
    return request


def year_recompute_run(*, year_id: int, request: int) -> str:
    """The task's body: recompute the year for `request` unless a newer request supersedes it
    (its own task will run) or the year is gone."""
    year = FiscalYear.objects.filter(pk=year_id).first()
    if year is None:
        return "missing"
    if year.recompute_requested != request:
        return "superseded"
    done = year_recompute(fiscal_year=year, request=request)
    return "superseded" if done is None else "done"
