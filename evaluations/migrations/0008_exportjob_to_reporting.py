from django.db import migrations


class Migration(migrations.Migration):
    """Export jobs moved to the reporting app (reporting 0001 takes them over). Only Django's
    state changes: the table evaluations_exportjob and its rows stay where they are."""

    dependencies = [
        ("evaluations", "0007_number_constraints"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ExportJob")],
            database_operations=[],
        ),
    ]
