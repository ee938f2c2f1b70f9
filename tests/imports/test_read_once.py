"""The file is parsed once (issue 18): the preview keeps the sheet it read, bound to the upload's
bytes; the import checks every row of it again and does not parse the file a second time. A kept
sheet that is missing, damaged or of other bytes is ignored: the file is read again."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from budgets.models import Department
from imports import files, services
from imports.files import Sheet, sheet_dump, sheet_load
from imports.models import ImportJob
from imports.services import job_commit, job_create, job_preview
from tests.imports.conftest import xlsx

pytestmark = pytest.mark.django_db
HEADERS = ["单位编码", "单位名称", "上级单位编码"]
State = ImportJob.State


def previewed(rows) -> ImportJob:
    job = job_create(
        user=None,
        kind="departments",
        name="d.xlsx",
        data=xlsx(HEADERS, rows),
        via="命令行",
        enqueue=False,
    )
    job_preview(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(state=State.IMPORTING)  # as job_confirm does
    job.refresh_from_db()
    return job


def no_second_parse(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the file was parsed a second time")

    monkeypatch.setattr(services, "read_sheet", refuse)


def test_the_import_uses_the_sheet_the_preview_read_and_removes_it(monkeypatch):
    job = previewed([["R1", "甲局", ""], ["R2", "乙中心", "R1"]])
    assert job.state == State.IMPORTING and job.parsed
    kept = job.parsed.name
    no_second_parse(monkeypatch)
    job_commit(job.pk)
    job.refresh_from_db()
    assert job.state == State.DONE, (job.message, job.errors)
    assert Department.objects.get(code="R2").parent.code == "R1"
    assert not job.parsed and not job.parsed.storage.exists(kept)


def test_the_rows_are_checked_again_at_import(monkeypatch):
    job = previewed([["R1", "甲局", ""], ["R2", "乙中心", "R1"]])
    Department.objects.create(code="R1", name="已有的局")  # meanwhile: R1 exists, another name
    no_second_parse(monkeypatch)
    job_commit(job.pk)
    job.refresh_from_db()
    assert job.state == State.DONE and job.counts["update"] == 1
    assert Department.objects.get(code="R1").name == "甲局"


@pytest.mark.parametrize("damage", ["other bytes", "garbage", "missing", "bomb"])
def test_a_kept_sheet_that_does_not_fit_is_ignored(damage, monkeypatch):
    job = previewed([["R1", "甲局", ""]])
    if damage == "other bytes":  # the parse of another upload: not taken for this one
        other = files.read_sheet("o.xlsx", xlsx(HEADERS, [["X9", "别的单位", ""]]))
        data = sheet_dump(other, b"another upload")
    elif damage == "garbage":
        data = b"\x1f\x8b not gzip"
    elif damage == "bomb":  # unpacks beyond the limit: not unpacked
        monkeypatch.setattr(files, "_parsed_limit", lambda: 100)
        with job.file.open("rb") as upload:
            source = upload.read()
        data = sheet_dump(files.read_sheet("d.xlsx", source), source)
    if damage == "missing":
        job.parsed.storage.delete(job.parsed.name)
    else:
        job.parsed.save("parsed.json.gz", ContentFile(data))
    parsed = []
    monkeypatch.setattr(services, "read_sheet", lambda *a: parsed.append(1) or files.read_sheet(*a))
    job_commit(job.pk)
    job.refresh_from_db()
    assert parsed == [1] and job.state == State.DONE
    assert list(Department.objects.values_list("code", "name")) == [("R1", "甲局")]


def test_a_preview_with_errors_keeps_nothing():
    job = previewed([["R1", "", ""]])  # 单位名称 missing
    assert job.state == State.IMPORTING  # (set by the test helper)
    assert not job.parsed


def test_the_kept_sheet_holds_every_kind_of_cell():
    sheet = Sheet(
        name="数据",
        header_row=2,
        headers=["a", "b"],
        rows=[
            (3, ["文字", 1, 1.5, True, None, 291.59999999999997]),
            (5, [datetime.datetime(2026, 1, 2, 3, 4), datetime.date(2026, 1, 2)]),
            (6, [datetime.time(8, 30), datetime.timedelta(hours=36), '{"$d": "x"}']),
        ],
        formulas=[(3, 1)],
        bad_cells=[(5, 0, "单元格内容无法识别")],
    )
    source = b"the upload"
    assert sheet_load(sheet_dump(sheet, source), source) == sheet
    assert sheet_load(sheet_dump(sheet, source), b"another") is None
    with pytest.raises(TypeError):
        sheet_dump(Sheet(name="x", header_row=1, headers=[], rows=[(2, [Decimal(1)])]), source)
