"""The pages of evaluations, one module per page (home, targets, evaluation, review)."""

from .budget import department_budget
from .evaluation import (
    evaluation,
    evaluation_preview,
    evidence_delete,
    evidence_download,
    evidence_upload,
)
from .home import evaluation_start, home, target_sheet_start
from .monitoring import monitoring, monitoring_sheet
from .rectifications import (
    rectification,
    rectification_file,
    rectification_file_delete,
    rectifications,
)
from .review import review_bulk, review_bulk_job, review_queue
from .spot_checks import spot_check, spot_check_item, spot_checks
from .targets import target_sheet

__all__ = [
    "department_budget",
    "evaluation",
    "evaluation_preview",
    "evaluation_start",
    "evidence_delete",
    "evidence_download",
    "evidence_upload",
    "home",
    "monitoring",
    "monitoring_sheet",
    "rectification",
    "rectification_file",
    "rectification_file_delete",
    "rectifications",
    "review_bulk",
    "review_bulk_job",
    "review_queue",
    "spot_check",
    "spot_check_item",
    "spot_checks",
    "target_sheet",
    "target_sheet_start",
]
