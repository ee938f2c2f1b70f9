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


def rows_update(model, objects, fields: list[str], *, batch_size: int = 500) -> int:
    """Write `fields` of rows of `model` whose values differ row by row, `batch_size` rows a
    statement: ``UPDATE t SET f = v.column2 FROM (VALUES (pk, f…), …) AS v WHERE t.pk = v.column1``.
    `objects`: model instances, or any objects with the fields' attributes (and the pk's).

    Django's `bulk_update` builds a CASE WHEN per row and field, whose expressions cost more to
    build in Python than the database takes to run them (a city's 3,000 evaluations × 7 figures:
    2.5 s). Values pass through each field's own `get_db_prep_save`, as `save()` does, and are
    cast to the column's type on PostgreSQL (a batch whose values are all NULL has no type).
    SQLite ≥ 3.33 and PostgreSQL both know UPDATE … FROM. Returns the rows written."""
    from django.db import connections, router

    objects = list(objects)
    if not objects:
        return 0
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    postgres = connection.vendor == "postgresql"
    # the columns of a VALUES list are column1, column2… on both; the statement starts with
    # UPDATE (no WITH): sqlite3 reports the rows written only for a statement that does
    names = [f"column{n + 1}" for n in range(len(columns) + 1)]

    def value(name: str) -> str:
        if not postgres:
            return f"v.{name}"
        field = pk if name == names[0] else columns[names.index(name) - 1]
        return f"CAST(v.{name} AS {field.db_type(connection)})"

    assignments = ", ".join(
        f"{quote(field.column)} = {value(name)}"
        for field, name in zip(columns, names[1:], strict=True)
    )
    table = quote(meta.db_table)
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            batch = objects[start : start + batch_size]
            row = "(" + ", ".join(["%s"] * len(names)) + ")"
            params = []
            for obj in batch:
                params.append(pk.get_db_prep_save(getattr(obj, pk.attname), connection))
                params += [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns]
            cursor.execute(
                f"UPDATE {table} SET {assignments} "
                f"FROM (VALUES {', '.join([row] * len(batch))}) AS v "
                f"WHERE {table}.{quote(pk.column)} = {value(names[0])}",
                params,
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
    prepared: list[dict[tuple, object]] = [{} for _ in fields]

    def prep(index: int, field, value):
        key = (type(value), value)  # 1, 1.0 and True are equal keys, not equal values
        try:
            return prepared[index][key]
        except KeyError:
            result = prepared[index][key] = field.get_db_prep_save(value, connection)
            return result
        except TypeError:  # an unhashable value: prepared each time
            return field.get_db_prep_save(value, connection)

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
            else prep(i, f, row[f.attname] if f.attname in row else f.get_default())
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
