"""core.bulk.rows_create, the writer of imported indicators: the rows `Model(**row)` and
bulk_create would write, value for value, on PostgreSQL (COPY) and SQLite (INSERT) alike."""

from decimal import Decimal

import pytest

from core.bulk import rows_create
from evaluations.models import Indicator, IndicatorCategory

pytestmark = pytest.mark.django_db
AWKWARD = ["制表\t符", "换\n行", "反斜杠\\N", "\\.", "引号\"'", "", "  前后空格  ", "中文，；"]


def rows_for(sheet) -> list[dict]:
    category = IndicatorCategory.objects.filter(year=sheet.year, parent__isnull=False).first()
    return [
        {
            "sheet_id": sheet.id,
            "category_id": category.id,
            "name": f"{text}第{n}项",
            "comparator": "≥" if n % 2 else "定性",
            "target_value": text or "0",
            "unit": text[:20],
            "weight": Decimal("3.5") if n % 3 else Decimal(n),
            "order": 100 + n,
            **({"basis": Indicator.Basis.HISTORY} if n == 2 else {}),
            **({"explanation": text} if n % 2 else {}),
        }
        for n, text in enumerate(AWKWARD)
    ]


def written(sheet) -> list[dict]:
    lines = Indicator.objects.filter(sheet=sheet, order__gte=100).order_by("order").values()
    return [{k: v for k, v in line.items() if k != "id"} for line in lines]


def test_rows_are_written_as_instances_and_bulk_create_write_them(sheet):
    rows = rows_for(sheet)
    Indicator.objects.bulk_create([Indicator(**row) for row in rows])
    expected = written(sheet)
    Indicator.objects.filter(sheet=sheet, order__gte=100).delete()

    assert rows_create(Indicator, rows, batch_size=3) == len(rows)
    got = written(sheet)
    assert got == expected
    assert [line["name"] for line in got] == [row["name"] for row in rows]
    assert got[2]["basis"] == Indicator.Basis.HISTORY and got[0]["basis"] == Indicator.Basis.PLAN
    assert got[1]["weight"] == Decimal("3.50") and got[1]["previous_id"] is None


def test_an_unknown_column_or_no_rows(sheet):
    with pytest.raises(ValueError, match="no column"):
        rows_create(Indicator, [{"sheet_id": sheet.id, "colour": "红"}])
    assert rows_create(Indicator, []) == 0
    assert not Indicator.objects.filter(sheet=sheet, order__gte=100).exists()
