"""The object storage tests upload evidence to the self-evaluation tests' form: their fixtures."""

from tests.evaluations.conftest import (  # noqa: F401  (fixtures)
    clerk,
    evaluation,
    open_year,
    sheet,
)
