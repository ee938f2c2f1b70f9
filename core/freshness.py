"""数据版本 and the page parts cached under it.

The pages a reviewer keeps open on a deadline day (绩效看板, 审核工作台) read the whole city's forms
and draw hundreds of rows; most requests find the data as the previous one left it. Those pages
keep the HTML of their data part in the cache (CACHE_URL: Redis when several processes serve),
under a key holding the **data generation**: a number in the database (core.DataGeneration) that
grows after every committed write to the data the pages show. A cached part is therefore never
older than the data: any write anywhere (a form saved, approved, imported, a year opened) makes
every key new, and the next request renders again.

- Writes are seen in one place: a wrapper on every database connection looks at each INSERT,
  UPDATE and DELETE and, when its table is data (settings.DATA_GENERATION_TABLES, minus
  DATA_GENERATION_IGNORED: the audit log, 消息, job progress), bumps the generation once the
  transaction commits (in autocommit: before the connection's next statement, or at the end of
  the request or task). ORM saves, bulk updates, raw SQL, the admin, the imports and the workers
  all go through it; only a write made outside Django (psql, a restored
  backup) is not seen — PAGE_CACHE_SECONDS bounds how long a part lives (and after a restore the
  next write gives a generation never used before: the value is at least the time in µs).
- The key also holds what the part depends on besides the data: the user's access (the same
  departments and roles give the same part), the query string, the day.
- A part holds no CSRF token: `{% csrf_token %}` in it draws a mark, replaced per request by the
  request's own token.
- The page around the part (cached_page) is kept too, for its one user: a request finding it
  reads no more than the session, the user, the unread count and the generation.
- In a test's transaction (never committed) a write bumps a counter of this process instead.
- PAGE_CACHE_SECONDS=0 turns the cache off; a cache that cannot be reached costs the render only.
"""

import hashlib
import logging
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache, partial
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache as page_cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from .models import DataGeneration

log = logging.getLogger(__name__)

_WRITE = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+["`]?(\w+)', re.I)
_VERBS = ("INSERT", "UPDATE", "DELETE")
# what `{% csrf_token %}` draws in a part (letters only: it passes escaping unchanged)
CSRF_MARK = "csrfTokenOfTheRequestMark"
_PENDING = "_data_generation_pending"  # set on a connection: an autocommit write's bump waits
_in_tests = 0  # writes inside a test's transaction (this process only)
_bumpers: dict[str, partial] = {}
_SOURCES = {".py", ".html", ".txt", ".js", ".css"}  # what release() reads
# the generation a page being drawn was read under: its parts are kept under the same (one query)
_drawing: ContextVar[str | None] = ContextVar("drawing", default=None)


def _watched(table: str) -> bool:
    return table.startswith(tuple(settings.DATA_GENERATION_TABLES)) and (
        table not in settings.DATA_GENERATION_IGNORED
    )


def watch(execute, sql, params, many, context):
    """The connection wrapper (installed by CoreConfig.ready on every connection)."""
    connection = context["connection"]
    if getattr(connection, _PENDING, False):
        flush(connection)
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and sql.lstrip()[:6].upper() in _VERBS:
        match = _WRITE.match(sql)
        if match is None or _watched(match.group(1)):  # a write it cannot place counts
            changed(connection)
    return result


def written(connection, table: str) -> None:
    """A write the wrapper cannot see (PostgreSQL's COPY, core.bulk.rows_create) to `table`."""
    if _watched(table):
        changed(connection)


def install(connection, **_kwargs) -> None:
    """First among the connection's wrappers: one added later by `execute_wrapper()` (a test
    counting queries) is the one its exit removes."""
    if watch not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, watch)


def changed(connection) -> None:
    """Data of this connection was written: the generation grows when it is committed."""
    global _in_tests
    blocks = connection.atomic_blocks
    if blocks and getattr(blocks[0], "_from_testcase", False):
        _in_tests += 1  # Django's TestCase: its transaction is rolled back, never committed
        return
    if not connection.in_atomic_block:
        # autocommit: the statement is committed, but may still be running (an INSERT …
        # RETURNING whose row is not yet read; SQLite cannot commit another write meanwhile)
        setattr(connection, _PENDING, True)
        return
    bumper = _bumpers.setdefault(connection.alias, partial(bump, connection.alias))
    if not any(func is bumper for _, func, _ in connection.run_on_commit):  # once a transaction
        connection.on_commit(bumper, robust=True)


def flush(connection) -> None:
    """The bump an autocommit write left pending, once the connection is between statements and
    outside a transaction: before its next statement, when asked for the generation, at the end
    of a request or a task (a rolled back transaction cannot take it away)."""
    if getattr(connection, _PENDING, False) and not connection.in_atomic_block:
        setattr(connection, _PENDING, False)
        bump(connection.alias)


def flush_all(**_kwargs) -> None:
    """Every connection's pending bump (request_finished, task_postrun)."""
    for connection in connections.all(initialized_only=True):
        flush(connection)


def bump(alias: str = DEFAULT_DB_ALIAS) -> None:
    """The generation grows: by one, and at least to the time in µs (never a value used before,
    also after a backup is restored)."""
    now = time.time_ns() // 1000
    rows = DataGeneration.objects.using(alias)
    try:
        if not rows.filter(pk=1).update(value=Greatest(F("value") + 1, Value(now))):
            rows.get_or_create(pk=1, defaults={"value": now})
    except DatabaseError:  # the write itself is committed; a part may live PAGE_CACHE_SECONDS
        log.exception("数据版本未能更新")


def generation(alias: str = DEFAULT_DB_ALIAS) -> str:
    """The current generation (one query)."""
    connection = connections[alias]
    flush(connection)
    table = connection.ops.quote_name(DataGeneration._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {table} WHERE id = 1")  # noqa: S608 (a constant)
        row = cursor.fetchone()
    return f"{row[0] if row else 0}.{_in_tests}"


@cache
def release() -> str:
    """What the code of this process is: RELEASE, else a hash of our source files, templates and
    static files and of Django's version (an upgraded server never shows a page drawn by the old
    code, which other servers may still be running meanwhile; servers of the same code share)."""
    if settings.RELEASE:
        return settings.RELEASE
    base = Path(settings.BASE_DIR)
    roots = {Path(app.path) for app in apps.get_app_configs()}
    roots |= {Path(d) for t in settings.TEMPLATES for d in t["DIRS"]}
    roots |= {Path(d) for d in settings.STATICFILES_DIRS} | {base / "config"}
    hasher = hashlib.sha256(django.get_version().encode())
    for root in sorted(r for r in roots if _ours(r, base)):
        for path in sorted(root.rglob("*")):
            if path.suffix in _SOURCES and path.is_file():
                hasher.update(f"\x1e{path.relative_to(base)}\x1f".encode())
                hasher.update(path.read_bytes())
    return hasher.hexdigest()[:16]


def _ours(path: Path, base: Path) -> bool:
    """Under the project, not in a hidden directory (.venv) or var/."""
    if not path.is_relative_to(base):
        return False
    parts = path.relative_to(base).parts
    return not parts or not (parts[0].startswith(".") or parts[0] == "var")


def _cached(
    key: list, template: str, context: Callable[[], dict], seconds: int, request=None
) -> str:
    """`template` with `context()` (and the context processors when `request` is given), from the
    cache under the data generation, the day and `key`; `{% csrf_token %}` drawn as CSRF_MARK."""
    html = None
    if seconds > 0:
        parts = [_drawing.get() or generation(), timezone.localdate().isoformat(), release(), *key]
        full = "part:" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
        try:
            html = page_cache.get(full)
        except Exception:  # noqa: BLE001  (a cache down: the page is rendered as without one)
            log.warning("缓存不可用，页面按无缓存生成", exc_info=True)
            seconds = 0
    if html is None:
        drawing = _drawing.set(parts[0] if seconds > 0 else None)
        try:
            html = render_to_string(template, {**context(), "csrf_token": CSRF_MARK}, request)
        finally:
            _drawing.reset(drawing)
        if seconds > 0:
            try:
                page_cache.set(full, html, seconds)
            except Exception:  # noqa: BLE001
                log.warning("缓存不可用，页面按无缓存生成", exc_info=True)
    return html


def _with_token(request, html: str) -> str:
    return html.replace(CSRF_MARK, get_token(request)) if CSRF_MARK in html else html


def cached_part(key: list, template: str, context: Callable[[], dict], cache: bool = True) -> str:
    """`template` drawn with `context()`, from the cache when the data, the day and `key` (what
    else the part depends on: the page, the user's access, the query…) are unchanged
    (`cache=False`: drawn). It is drawn without the request (no context processor: nothing of the
    user's but what `context` gives), inside a page of cached_page, which puts the request's
    CSRF token where its `{% csrf_token %}` is."""
    seconds = settings.PAGE_CACHE_SECONDS if cache else 0
    return mark_safe(_cached(key, template, context, seconds))  # noqa: S308  (our templates escape)


def cached_page(
    request, key: list, template: str, draw: Callable[[], dict], *, shown: list, cache: bool = True
) -> HttpResponse:
    """The page `template` (base.html's frame: the header, the messages, around parts drawn by
    cached_part), with `draw()`'s context. It comes whole from the cache when the data, the day,
    `key` (what the page depends on besides the user: the query…) and `shown` (the user, as the
    header shows them: name, unread count) are unchanged, and no message is waiting (a page
    showing one is drawn and not kept). The user and the data determine the user's access, so a
    page from the cache was drawn, checks included, for this user and these data; `draw` makes
    the checks (a refusal is never kept)."""
    seconds = settings.PAGE_CACHE_SECONDS if cache else 0
    if len(get_messages(request)):
        seconds = 0
    html = _cached([*key, "page", *shown], template, draw, seconds, request)
    return HttpResponse(_with_token(request, html))
