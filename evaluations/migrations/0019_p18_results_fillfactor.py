"""PostgreSQL: half of each page of 指标完成情况 left free (fillfactor 50).

A result line is rewritten often (every save of its form, a review, a year's recompute) and none
of those writes touches an indexed column: with room on its page the new version stays there and
its three indexes are not written again (a heap-only update). A city's recompute of 45,000
suggestions took 1.3 s of database time at the default fillfactor (100), 0.33 s at 50; the table
is about twice as large (a city-year's 45,000 lines: ~10 MB, 12 MB with their indexes). New pages take the setting at once; existing rows
when the table is rewritten (`VACUUM FULL evaluations_indicatorresult`, optional). SQLite has no
such setting."""

from django.db import migrations

TABLE = "evaluations_indicatorresult"


def fill(fillfactor: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = {fillfactor})")

    return apply


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0018_merge_p17b")]

    operations = [migrations.RunPython(fill(50), fill(100), elidable=False)]
