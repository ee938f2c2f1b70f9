import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("jxzp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_postrun.connect
def _data_generation(**_kwargs):
    """A task's last autocommit write makes its new data generation (core/freshness.py)."""
    from core import freshness

    freshness.flush_all()
