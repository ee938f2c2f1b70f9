"""The one rule for the names of exported files: named for what they hold.

`{年度}_{单位}_{项目编码}_{项目名称}_{表名}.xlsx` for one project's table. A table of
the department as a whole has `部门整体` in place of the project
(`2021_咸宁市…局_部门整体_部门整体支出绩效自评表.pdf`); a file of several forms names the unit
(or `全部单位`) and the table (`2021_全部单位_全部表格.zip`). The same rule names the files
inside a ZIP, unique there.

Every part is sanitised: no path separators, control characters, the characters Windows refuses
(\\ / : * ? " < > |), no leading dots or trailing dots and spaces; the underscore that joins the
parts is taken out of them (a name reads back into its parts). The name is at most MAX_BYTES bytes
of UTF-8 (Windows allows 255 characters, most Unix file systems 255 bytes; a ZIP opened on either
also needs room for its folder): the project name is shortened first, then the unit.
"""

from __future__ import annotations

import re
import unicodedata

MAX_BYTES = 150
SEPARATOR = "_"
ALL_UNITS = "全部单位"
DEPARTMENT_WIDE = "部门整体"
ELLIPSIS = "…"
_FORBIDDEN = re.compile(r'[\\/:*?"<>|_]+')
_SPACES = re.compile(r"\s+")


def clean(part: object) -> str:
    """One part of a name: forbidden and control characters become a space, runs of space one,
    no leading dots, no trailing dots or spaces."""
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in str(part or ""))
    text = _SPACES.sub(" ", _FORBIDDEN.sub(" ", text)).strip()
    return text.lstrip(".").rstrip(". ").strip()


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _shorten(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, never splitting a character, with … where it was cut."""
    if _bytes(text) <= limit:
        return text
    room = limit - _bytes(ELLIPSIS)
    out, used = [], 0
    for ch in text:
        used += _bytes(ch)
        if used > room:
            break
        out.append(ch)
    return "".join(out).rstrip(". ") + ELLIPSIS if out else ""


def export_name(
    year: int,
    unit: str,
    table: str,
    ext: str,
    *,
    project_code: str = "",
    project_name: str = "",
    department_wide: bool = False,
) -> str:
    """The file name of an export: `{年度}_{单位}_{项目编码}_{项目名称}_{表名}.{ext}`, or with
    部门整体 in place of the project, or without either for a file of several forms."""
    unit_part, name_part = clean(unit) or ALL_UNITS, clean(project_name)
    head = [str(int(year))]
    middle = [clean(project_code)] if project_code else []
    if department_wide:
        middle.append(DEPARTMENT_WIDE)
    tail = [clean(table) or "表格"]
    suffix = f".{clean(ext)}" if ext else ""

    def joined(unit_text: str, name_text: str) -> str:
        parts = [*head, unit_text, *middle, *([name_text] if name_text else []), *tail]
        return SEPARATOR.join(p for p in parts if p) + suffix

    name = joined(unit_part, name_part)
    excess = _bytes(name) - MAX_BYTES
    if excess > 0 and name_part:
        name_part = _shorten(name_part, max(_bytes(name_part) - excess, 12))
        name = joined(unit_part, name_part)
        excess = _bytes(name) - MAX_BYTES
    if excess > 0:
        unit_part = _shorten(unit_part, max(_bytes(unit_part) - excess, 12))
        name = joined(unit_part, name_part)
    if _bytes(name) > MAX_BYTES:  # only with absurd table names or extensions
        stem = name[: len(name) - len(suffix)]
        name = _shorten(stem, MAX_BYTES - _bytes(suffix)) + suffix
    return name


def folder_name(code: str, name: str) -> str:
    """A department's folder inside a ZIP: `{单位编码}_{单位名称}`, sanitised like a name."""
    return _shorten(SEPARATOR.join(p for p in (clean(code), clean(name)) if p), 80) or "单位"


def unique(names: list[str]) -> list[str]:
    """The names in order, a repeat (case-insensitively, as Windows compares) getting
    ` (2)`, ` (3)` … before its extension."""
    used: set[str] = set()
    result = []
    for name in names:
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, number = name, 1
        while candidate.lower() in used:
            number += 1
            candidate = f"{stem} ({number})" + (f".{ext}" if dot else "")
        used.add(candidate.lower())
        result.append(candidate)
    return result
