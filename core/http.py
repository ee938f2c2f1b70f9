"""Reading ids and whole numbers from a request: one rule for every view and service.

`str.isdigit()` accepts characters `int()` refuses ("²", "①") and `int()` accepts what the
database cannot hold (a 40-digit id overflows SQLite's and PostgreSQL's 64-bit integers), so hand
parsing answered 500. Here only ASCII digits pass; anything else is a bad request (400, Django's
handler400 renders it in Chinese), and an id no row can have is "not found" (404), the same answer
as an id that is simply missing.
"""

from django.core.exceptions import BadRequest
from django.http import Http404

# BigAutoField (DEFAULT_AUTO_FIELD) and every integer column are at most 64-bit signed.
ID_MAX = 2**63 - 1
# A plain count or version typed into a URL: far beyond any real value, far inside the column.
INT_MAX = 2**31 - 1
_DIGITS = frozenset("0123456789")


class BadParameter(BadRequest):
    """A request parameter that is not what the page asked for; its message is Chinese and is
    shown on the 400 page."""


def as_id(value) -> int | None:
    """An id from an untrusted value, or None when it is blank, not ASCII digits or beyond any id:
    for services that answer "not found" themselves."""
    number = as_int(value, maximum=ID_MAX)
    return number if number else None


def as_int(value, *, maximum: int = INT_MAX) -> int | None:
    """A whole number from an untrusted value, or None when it is blank, not ASCII digits or above
    `maximum`: for a choice that falls back to a default (the year shown on a page)."""
    text = "" if value is None else str(value).strip()
    if not text or len(text) > 19 or not _DIGITS.issuperset(text):
        return None
    number = int(text)
    return number if number <= maximum else None


def _digits(value, label: str) -> int | None:
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if len(text) > 40 or not _DIGITS.issuperset(text):
        raise BadParameter(f"参数“{label}”不是有效的数字。")
    return int(text)


def optional_id(value, label: str = "编号") -> int | None:
    """An object id from a request (blank → None). Not digits → 400; beyond any id → 404."""
    number = _digits(value, label)
    if number is not None and not 0 < number <= ID_MAX:
        raise Http404("未找到该对象，或您无权查看。")
    return number


def optional_int(value, label: str = "参数", *, maximum: int = INT_MAX) -> int | None:
    """A whole number from a request (a year, a version; blank → None). Not digits, or above
    `maximum`, → 400."""
    number = _digits(value, label)
    if number is not None and number > maximum:
        raise BadParameter(f"参数“{label}”超出范围。")
    return number


def id_list(values, label: str = "编号") -> list[int]:
    """Several ids (a multi-valued parameter); blanks are skipped."""
    return [n for n in (optional_id(v, label) for v in values) if n is not None]


def keyed_ids(post, prefix: str, label: str = "编号") -> dict[int, str]:
    """{id: value} of the fields named `<prefix><id>` (e.g. line-12 → 12): a field whose suffix is
    not an id is a bad request, not a 500."""
    found = {}
    for key, value in post.items():
        if key.startswith(prefix):
            pk = optional_id(key.removeprefix(prefix), label)
            if pk is not None:
                found[pk] = value
    return found
