"""Writes of the evaluations app, one module per subject. Every write owns its transaction and
leaves one audit record."""

from .common import (
    COMPUTED_EVALUATION_FIELDS,
    Funds,
    evaluation_compute,
    evaluation_recompute,
    funds_of,
    indicator_tree_seed,
)

__all__ = [
    "COMPUTED_EVALUATION_FIELDS",
    "Funds",
    "evaluation_compute",
    "evaluation_recompute",
    "funds_of",
    "indicator_tree_seed",
]
