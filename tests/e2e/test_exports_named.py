"""Exports named for what they hold, started from the form without leaving it, with progress.

The worker is played by the test: `enqueue` is replaced by a list, so a job waits (排队中) until
the test runs `export_run` on it, as a worker would; in between the test reports progress the
way `export_run` does (files done / all), and the page must show each step by itself.
"""

import io
import zipfile

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from evaluations.models import SelfEvaluation
from reporting import exports
from reporting.models import ExportJob


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Job ids sent to the (absent) worker."""
    sent: list[int] = []
    monkeypatch.setattr(exports, "enqueue", lambda job: sent.append(job.pk))
    return sent


FILENAME = (
    "2021_咸宁市政务服务和大数据管理局_2021-101-001_政务一体化平台建设_项目支出绩效自评表.xlsx"
)


def test_export_from_the_form_stays_there_and_is_named_for_its_project(
    page: Page, login, screenshot, queued, tmp_path
):
    login(page, "xn_clerk")
    evaluation = SelfEvaluation.objects.get(project__name="政务一体化平台建设")
    form_url = f"/evaluations/{evaluation.pk}/"
    page.goto(form_url)
    page.evaluate("window.sameDocument = true")
    page.get_by_role("button", name="导出 Excel").click()

    line = page.locator(".export-inline").first
    expect(line.locator(".job-label")).to_have_text("排队中")
    expect(line.locator(".progress.waiting")).to_be_visible()
    screenshot(page, "exports-01-form-queued")
    (job_id,) = queued
    ExportJob.objects.filter(pk=job_id).update(state="running", progress=40)
    expect(line.locator(".job-label")).to_have_text("生成中 40%")
    exports.export_run(job_id=job_id)  # the worker finishes
    expect(line.locator(".job-label")).to_have_text("已完成")
    link = line.get_by_role("link", name="下载 Excel")
    expect(link).to_be_visible()
    screenshot(page, "exports-02-form-done")

    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == FILENAME
    path = tmp_path / "table.xlsx"
    download.value.save_as(path)
    assert load_workbook(path).active["B3"].value == "政务一体化平台建设"
    # still the same page, never reloaded
    assert page.url.endswith(form_url) and page.evaluate("window.sameDocument") is True

    # 我的导出 says what the export holds
    page.goto("/exports/")
    row = page.locator("tr.job").first
    expect(row.locator(".job-scope")).to_contain_text(
        "咸宁市政务服务和大数据管理局 · 2021-101-001 政务一体化平台建设"
    )
    expect(row.locator(".job-file")).to_have_text(FILENAME)
    expect(row).to_contain_text("项目支出绩效自评表")
    expect(row).to_contain_text("2021")
    expect(row).to_contain_text("Excel")
    expect(row.locator(".job-size")).to_contain_text("KB")
    screenshot(page, "exports-03-my-exports")


def test_zip_export_shows_files_done_while_it_runs(page: Page, login, screenshot, queued):
    login(page, "xn_clerk")
    page.goto("/exports/")
    page.evaluate("window.sameDocument = true")
    page.locator("select[name=year]").select_option("2021")
    page.locator("select[name=kind]").select_option("bundle")
    page.locator("select[name=format]").select_option("pdf")
    page.get_by_role("button", name="导出", exact=True).click()

    row = page.locator("tr.job").first
    expect(row.locator(".job-label")).to_have_text("排队中")
    expect(row.locator(".job-scope")).to_contain_text("咸宁市政务服务和大数据管理局及所属单位")
    (job_id,) = queued
    # what export_run reports between files
    ExportJob.objects.filter(pk=job_id).update(
        state="running", progress=40, files_done=3, files_total=12
    )
    expect(row.locator(".job-label")).to_have_text("生成中 3/12 个文件 · 40%")
    screenshot(page, "exports-04-zip-progress")
    exports.export_run(job_id=job_id)
    expect(row.locator(".job-label")).to_have_text("已完成")
    job = ExportJob.objects.get(pk=job_id)
    filename = "2021_咸宁市政务服务和大数据管理局及所属单位_全部表格.zip"
    expect(row.locator(".job-file")).to_have_text(filename)
    assert page.evaluate("window.sameDocument") is True
    with page.expect_download() as download:
        row.get_by_role("link", name="下载").click()
    assert download.value.suggested_filename == filename
    names = zipfile.ZipFile(io.BytesIO(job.file.open("rb").read())).namelist()
    assert len(names) == len(set(names)) == job.files_total
    assert "2021_咸宁市政务服务和大数据管理局_全部单位_自评结果汇总表.pdf" not in names
    assert all(name.startswith("2021_") or "/2021_" in name for name in names), names
    screenshot(page, "exports-05-zip-done")
