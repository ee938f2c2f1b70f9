"""The reporting tests print the self-evaluation tests' forms: the same fixtures."""

from tests.evaluations.conftest import (  # noqa: F401  (fixtures)
    clerk,
    evaluation,
    open_year,
    reviewer,
    sheet,
)
