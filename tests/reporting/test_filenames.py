"""The one rule for export file names (reporting/filenames.py)."""

import pytest

from reporting.filenames import MAX_BYTES, clean, export_name, folder_name, unique


def test_a_project_table_is_named_for_what_it_holds():
    name = export_name(
        2021,
        "咸宁市政务服务和大数据管理局",
        "项目支出绩效自评表",
        "xlsx",
        project_code="2021-101-001",
        project_name="政务一体化平台建设",
    )
    assert name == (
        "2021_咸宁市政务服务和大数据管理局_2021-101-001_政务一体化平台建设_项目支出绩效自评表.xlsx"
    )


def test_department_wide_and_several_units():
    assert (
        export_name(
            2020, "益阳市行政审批服务局", "部门整体支出绩效自评表", "pdf", department_wide=True
        )
        == "2020_益阳市行政审批服务局_部门整体_部门整体支出绩效自评表.pdf"
    )
    assert export_name(2021, "", "全部表格", "zip") == "2021_全部单位_全部表格.zip"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ('a/b\\c:d*e?f"g<h>i|j', "a b c d e f g h i j"),
        ("..隐藏", "隐藏"),
        ("名称.", "名称"),
        ("行\n换\t制表\x00空\x7f", "行 换 制表 空"),
        ("全角\u3000空格", "全角 空格"),
        ("a_b", "a b"),  # the separator never inside a part
        ("\u202e反向", "反向"),  # a bidirectional control: would disguise the extension
        ("", ""),
    ],
)
def test_parts_are_sanitised(raw, expected):
    assert clean(raw) == expected


def test_long_names_are_capped_in_utf8_bytes_project_name_first():
    name = export_name(
        2021,
        "单位" * 10,
        "项目支出绩效自评表",
        "xlsx",
        project_code="X-1",
        project_name="很长" * 80,
    )
    assert len(name.encode()) <= MAX_BYTES and name.endswith("_项目支出绩效自评表.xlsx")
    assert "单位" * 10 in name and "…" in name  # the unit kept whole, the project shortened
    huge = export_name(2021, "单" * 300, "表", "pdf", project_code="C", project_name="名" * 300)
    assert len(huge.encode()) <= MAX_BYTES and huge.endswith(".pdf")


def test_unique_within_a_zip_case_insensitively():
    assert unique(["d/a.xlsx", "d/A.xlsx", "d/a.xlsx", "e/a.xlsx"]) == [
        "d/a.xlsx",
        "d/A (2).xlsx",
        "d/a (3).xlsx",
        "e/a.xlsx",
    ]


def test_folder_names():
    assert folder_name("101", "咸宁市/政务") == "101_咸宁市 政务"
    assert folder_name("", "") == "单位"
