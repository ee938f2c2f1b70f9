"""Work that builds hundreds of thousands of objects at once (a city's export, a year's recompute,
an import of 100,000 rows, the dashboard of 3,000 forms)."""

import contextlib
import gc


@contextlib.contextmanager
def few_collections():
    """Python's cyclic garbage collector would walk the objects such work keeps alive over and
    over (about a sixth of a city's export). It runs rarely meanwhile and is restored afterwards;
    results are the same."""
    thresholds = gc.get_threshold()
    # young collections every 100,000 allocations; older ones almost never (each walks every
    # object still alive: a city's 3,000 tables took 3.1 s with (100000, 10, 10), 2.6 s with
    # (100000, 100, 100), 2.4 s with the collector off)
    gc.set_threshold(max(thresholds[0], 100_000), max(thresholds[1], 100), max(thresholds[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _preparer(connection):
    """`prep(field, value)`: `field.get_db_prep_save(value)`, once per distinct value of a field
    (a column repeats a few values over thousands of rows: scores, codes, states)."""
    prepared: dict[tuple, object] = {}

    def prep(field, value):
        key = (field, type(value), value)  # 1, 1.0 and True are equal keys, not equal values
        try:
            return prepared[key]
        except KeyError:
            result = prepared[key] = field.get_db_prep_save(value, connection)
            return result
        except TypeError:  # an unhashable value: prepared each time
            return field.get_db_prep_save(value, connection)

    return prep


def rows_update(model, objects, fields: list[str], *, batch_size: int = 500) -> int:
    """Write `fields` of rows of `model` whose values differ row by row. `objects`: model
    instances, or any objects with the fields' attributes (and the pk's). Values pass through each
    field's own `get_db_prep_save`, as `save()` does. Returns the rows written.

    PostgreSQL: the rows go by COPY into a temporary table shaped like the columns, then one
    ``UPDATE t SET f = u.f FROM u WHERE t.pk = u.pk`` (a city's 45,000 results: the statement of
    `batch_size` VALUES rows cost more in building and splitting its 90,000 placeholders than the
    database took to write them). Other databases (SQLite ≥ 3.33): ``UPDATE t SET f = v.column2
    FROM (VALUES (pk, f…), …) AS v WHERE t.pk = v.column1``, `batch_size` rows a statement.
    Django's `bulk_update` builds a CASE WHEN per row and field, whose expressions cost more to
    build in Python than the database takes to run them (3,000 evaluations × 7 figures: 2.5 s)."""
    from django.db import connections, router, transaction

    objects = list(objects)
    if not objects:
        return 0
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    table = quote(meta.db_table)

    prep = _preparer(connection)

    def row(obj) -> list:
        return [pk.get_db_prep_save(getattr(obj, pk.attname), connection)] + [
            prep(f, getattr(obj, f.attname)) for f in columns
        ]

    if connection.vendor == "postgresql":
        rows = quote(f"rows_update_{meta.db_table}"[:63])
        names = ", ".join(quote(f.column) for f in (pk, *columns))
        assignments = ", ".join(f"{quote(f.column)} = u.{quote(f.column)}" for f in columns)
        with (
            transaction.atomic(using=connection.alias, savepoint=False),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                f"CREATE TEMPORARY TABLE {rows} AS SELECT {names} FROM {table} WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY {rows} ({names}) FROM STDIN") as copy:
                for obj in objects:
                    copy.write_row(row(obj))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM {rows} AS u "  # noqa: S608 (model names)
                f"WHERE {table}.{quote(pk.column)} = u.{quote(pk.column)}"
            )
            written = cursor.rowcount
            cursor.execute(f"DROP TABLE {rows}")
        return written
    # the columns of a VALUES list are column1, column2…; the statement starts with UPDATE (no
    # WITH): sqlite3 reports the rows written only for a statement that does
    names = [f"column{n + 1}" for n in range(len(columns) + 1)]
    assignments = ", ".join(
        f"{quote(field.column)} = v.{name}" for field, name in zip(columns, names[1:], strict=True)
    )
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            batch = objects[start : start + batch_size]
            values = "(" + ", ".join(["%s"] * len(names)) + ")"
            cursor.execute(
                f"UPDATE {table} SET {assignments} "
                f"FROM (VALUES {', '.join([values] * len(batch))}) AS v "
                f"WHERE {table}.{quote(pk.column)} = v.{names[0]}",
                [value for obj in batch for value in row(obj)],
            )
            written += cursor.rowcount
    return written


def rows_create(model, rows, *, batch_size: int = 2000) -> int:
    """Insert plain rows of `model`: dicts of attribute names (`sheet_id`) → values, every other
    column at its field's default, as `Model(**row)` then `bulk_create` would write them, without
    building an instance per row. Values pass through each field's own `get_db_prep_save` (once
    per distinct value: a column repeats a few values over 100,000 rows). PostgreSQL takes the
    rows by COPY; other databases by one INSERT run over every batch. Nothing is read back (no
    ids). For models whose fields the database or `pre_save` fills (auto_now, db_default): use
    bulk_create. Returns the rows written."""
    from django.db import connections, router
    from django.db.models import NOT_PROVIDED

    from . import freshness

    meta = model._meta
    connection = connections[router.db_for_write(model)]
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            raise ValueError(f"rows_create: {f.name} is filled by pre_save; use bulk_create")
        if f.db_default is not NOT_PROVIDED:
            raise ValueError(f"rows_create: {f.name} has a database default; use bulk_create")
    given = set().union(*(row.keys() for row in rows)) if rows else set()
    unknown = given - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"rows_create: {model.__name__} has no column {sorted(unknown)}")
    if not rows:
        return 0
    prep = _preparer(connection)

    # a field no row gives takes its default in every row (a callable default: called per row)
    constant = {
        i: f.get_db_prep_save(f.get_default(), connection)
        for i, f in enumerate(fields)
        if f.attname not in given and not callable(f.default)
    }

    def values(row: dict) -> tuple:
        return tuple(
            constant[i]
            if i in constant
            else prep(f, row[f.attname] if f.attname in row else f.get_default())
            for i, f in enumerate(fields)
        )

    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
            freshness.written(connection, meta.db_table)  # COPY passes no execute wrapper
            return len(rows)
        placeholders = ", ".join(["%s"] * len(fields))
        statement = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
        for start in range(0, len(rows), batch_size):
            cursor.executemany(statement, [values(row) for row in rows[start : start + batch_size]])
    return len(rows)
