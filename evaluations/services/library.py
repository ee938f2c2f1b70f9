"""指标库 (indicator library): the 三级指标 finance offers for reuse, across years.

Maintained in 系统管理 (through `library_entry_save`) and by the import (kind
`indicator-library`, written in bulk by the import engine, one audit record per import); both ask
`library_problems`, which asks `rules` (one line) and checks 一级/二级 against the names some year
uses or the standard tree. Entries are never deleted once a target line uses them (PROTECT):
an entry no longer offered is made inactive.
"""

from django.db import transaction

from core.audit import audit_record, diff, field_values
from core.errors import UserError

from .. import rules
from ..models import IndicatorCategory, LibraryIndicator
from .years import OPTIONAL_TREE, STANDARD_TREE

LIBRARY_FIELDS = [
    "code",
    "level1",
    "level2",
    "domain",
    "name",
    "comparator",
    "typical_value",
    "unit",
    "explanation",
    "scoring_rule",
    "is_active",
]


class LibraryRefused(UserError):
    """An entry that breaks a rule (Chinese message); nothing was saved."""


def known_categories() -> set[tuple[str, str]]:
    """(一级, 二级) name pairs an entry may name: the standard tree's and any year's (one query)."""
    pairs = {
        (level1, level2)
        for tree in (STANDARD_TREE, OPTIONAL_TREE)
        for level1, (_, names) in tree.items()
        for level2 in names
    }
    pairs.update(
        IndicatorCategory.objects.filter(parent__isnull=False)
        .values_list("parent__name", "name")
        .distinct()
    )
    return pairs


def library_problems(entry: LibraryIndicator, known: set | None = None) -> rules.Problems:
    """What an entry must meet, keyed by its field names (the admin form, the import)."""
    line = rules.TargetLine(entry.name, entry.comparator, entry.typical_value, entry.unit)
    problems = {
        ("typical_value" if field == "target_value" else field): messages
        for field, messages in rules.library_line_problems(line).items()
    }
    if not entry.code.strip():
        problems.setdefault("code", []).append("请填写指标编码")
    if entry.level1.strip() and entry.level2.strip():
        pairs = known if known is not None else known_categories()
        problems.update(rules.library_category_problems(entry.level1, entry.level2, pairs))
    else:
        problems.setdefault("level2", []).append("请填写一级指标和二级指标")
    return problems


def library_entry_save(*, entry: LibraryIndicator, actor) -> LibraryIndicator:
    """Create or change one entry (系统管理), checked and audited."""
    problems = library_problems(entry)
    if problems:
        raise LibraryRefused("；".join(rules.messages(problems)))
    with transaction.atomic():
        old = (
            field_values(LibraryIndicator.objects.get(pk=entry.pk), LIBRARY_FIELDS)
            if entry.pk
            else {}
        )
        entry.save()
        changes = diff(old, field_values(entry, LIBRARY_FIELDS))
        if changes:
            action = "修改指标库指标" if old else "新增指标库指标"
            audit_record(actor=actor, action=action, obj=entry, changes=changes)
    return entry


def library_entries() -> list[dict]:
    """The active entries as the target grid's search reads them (one query)."""
    return list(
        LibraryIndicator.objects.filter(is_active=True)
        .order_by("level1", "level2", "code")
        .values("id", *LIBRARY_FIELDS[:-1])
    )
