"""A digest of everything a request could change: every row of every table (sessions aside,
which a request renews by design) and every stored file."""

import hashlib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection

IGNORED_TABLES = {"django_session"}


def _models():
    seen = set()
    existing = set(connection.introspection.table_names())  # an app mid-way has no table yet
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in IGNORED_TABLES:
            continue
        if meta.db_table in seen or meta.db_table not in existing:
            continue
        seen.add(meta.db_table)
        yield model


def digest() -> dict[str, str]:
    """{table: hash of all its rows} and {"media": hash of the stored files}."""
    result = {}
    for model in _models():
        hasher = hashlib.sha256()
        for row in model._base_manager.order_by("pk").values_list():
            hasher.update(repr(row).encode())
        result[model._meta.db_table] = hasher.hexdigest()[:16]
    media = Path(settings.MEDIA_ROOT)
    hasher = hashlib.sha256()
    if media.exists():
        for path in sorted(p for p in media.rglob("*") if p.is_file()):
            hasher.update(f"{path.relative_to(media)}\x1f{path.stat().st_size}".encode())
    result["media"] = hasher.hexdigest()[:16]
    return result


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def row_counts() -> dict[str, int]:
    return {m._meta.db_table: m._base_manager.count() for m in _models()}
