"""The audit log (budgets → core) and the export jobs (evaluations → reporting) moved apps
without a copy: a database migrated from before the move keeps their rows, and the permissions
granted on them follow."""

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("core", None),
    ("reporting", None),
    ("budgets", "0002_number_constraints"),
    ("evaluations", "0007_number_constraints"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_and_permissions_survive_the_move():
    old = _migrate(BEFORE)
    # a database made before the move has its content types under the old apps
    ContentType.objects.filter(model__in=["auditlog", "exportjob"]).delete()
    audit_type = ContentType.objects.create(app_label="budgets", model="auditlog")
    ContentType.objects.create(app_label="evaluations", model="exportjob")
    user = old.get_model("auth", "User").objects.create(
        username="old", password=make_password(None)
    )
    year = old.get_model("budgets", "FiscalYear").objects.create(year=2019)
    old.get_model("budgets", "AuditLog").objects.create(
        actor_id=user.pk, action="旧记录", object_type="budgets.FiscalYear", object_id=str(year.pk)
    )
    old.get_model("evaluations", "ExportJob").objects.create(
        created_by_id=user.pk, year=year, kind="summary", format="xlsx", state="done"
    )

    new = _migrate(_leaves())

    log = new.get_model("core", "AuditLog").objects.get()
    assert (log.action, log.actor_id) == ("旧记录", user.pk)
    job = new.get_model("reporting", "ExportJob").objects.get()
    assert (job.kind, job.state, job.year_id) == ("summary", "done", year.pk)
    moved = new.get_model("contenttypes", "ContentType").objects.get(pk=audit_type.pk)
    assert (moved.app_label, moved.model) == ("core", "auditlog")
    assert (
        new.get_model("contenttypes", "ContentType")
        .objects.filter(app_label="reporting", model="exportjob")
        .exists()
    )

    # and back: the tables stay, the rows with them
    back = _migrate(BEFORE)
    assert back.get_model("budgets", "AuditLog").objects.filter(action="旧记录").exists()
    assert back.get_model("evaluations", "ExportJob").objects.count() == 1
    _migrate(_leaves())
