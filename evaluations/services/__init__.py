"""Writes of the evaluations app, one module per subject. Every write owns its transaction and
leaves one audit record."""

from .adjustments import (
    AdjustmentRights,
    adjustment_decide,
    adjustment_request,
    adjustment_rights,
)
from .common import (
    COMPUTED_EVALUATION_FIELDS,
    Funds,
    evaluation_compute,
    funds_of,
    year_recompute,
)
from .evidence import evidence_add, evidence_problem, evidence_remove
from .results import (
    EvaluationInput,
    InputRefused,
    ResultInput,
    editing_refusal,
    evaluation_extend,
    evaluation_freeze,
    evaluation_preview,
    evaluation_refresh,
    evaluation_save,
    evaluation_start,
    evaluation_transition,
    evaluation_validate,
    input_problems,
    line_problems,
    results_of,
)
from .targets import (
    IndicatorInput,
    target_problems,
    target_sheet_save,
    target_sheet_start,
    target_sheet_transition,
    target_sheet_validate,
)
from .transitions import FormConflict, FormProblems, form_transition
from .years import OPTIONAL_TREE, STANDARD_TREE, fiscal_year_create, indicator_tree_seed

__all__ = [
    "evidence_add",
    "evidence_problem",
    "evidence_remove",
    "adjustment_decide",
    "adjustment_request",
    "adjustment_rights",
    "AdjustmentRights",
    "EvaluationInput",
    "ResultInput",
    "editing_refusal",
    "evaluation_extend",
    "evaluation_freeze",
    "evaluation_preview",
    "InputRefused",
    "input_problems",
    "evaluation_refresh",
    "evaluation_save",
    "evaluation_start",
    "evaluation_transition",
    "evaluation_validate",
    "line_problems",
    "results_of",
    "COMPUTED_EVALUATION_FIELDS",
    "FormConflict",
    "FormProblems",
    "Funds",
    "IndicatorInput",
    "evaluation_compute",
    "form_transition",
    "funds_of",
    "indicator_tree_seed",
    "year_recompute",
    "fiscal_year_create",
    "OPTIONAL_TREE",
    "STANDARD_TREE",
    "target_problems",
    "target_sheet_save",
    "target_sheet_start",
    "target_sheet_transition",
    "target_sheet_validate",
]
