"""What every long Celery task of the product shares: the failures worth another attempt and the
retry policy that goes with them (one place for evaluations', reporting's and imports' tasks)."""

from django.db import InterfaceError, OperationalError

# Failures worth another attempt (the database or the storage went away for a moment).
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)

# `@shared_task(**RETRYING, …)`: retried with backoff on TRANSIENT, acknowledged only when done
# (a worker killed mid-task leaves the message for another).
RETRYING = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "max_retries": 3,
    "acks_late": True,
}
