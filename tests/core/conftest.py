"""The object storage tests upload evidence to the self-evaluation tests' form: their fixtures;
the cached parts' tests use the review queue's forms."""

from tests.evaluations.conftest import (  # noqa: F401  (fixtures)
    clerk,
    evaluation,
    open_year,
    sheet,
)
from tests.evaluations.test_review_queue import forms  # noqa: E402, F401  (fixture)
