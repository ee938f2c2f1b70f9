from django.db import migrations


class Migration(migrations.Migration):
    """The audit log moved to the core app (core 0001 takes it over). Only Django's state
    changes: the table budgets_auditlog and its rows stay where they are."""

    dependencies = [
        ("budgets", "0002_number_constraints"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditLog")],
            database_operations=[],
        ),
    ]
