"""The entry points of the standard tables: one function per table, each from prefetched data."""

from ..models import SelfEvaluation
from .base import Table, content_hash
from .gather import evaluation_queryset, gather_evaluations
from .self_evaluation import self_evaluation_table


def evaluation_table(evaluation: SelfEvaluation) -> Table:
    evaluation = evaluation_queryset().get(pk=evaluation.pk)
    data = gather_evaluations([evaluation])[evaluation.pk]
    return self_evaluation_table(data, snapshot_hash=evaluation.snapshot_hash)


__all__ = ["content_hash", "evaluation_table"]
