"""Issue 18: files in object storage, in Chromium. With STORAGE_BACKEND=s3 (a real SeaweedFS,
tests/s3server.py) and downloads redirected to signed URLs, a clerk uploads evidence on the form,
downloads it and an Excel export by the links the product shows, each redirected to the store
and saved under its Chinese name, and deletes the evidence; every file is an object in the
bucket, none on the disk."""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from evaluations.models import Evidence, SelfEvaluation
from reporting.models import ExportJob

PDF = b"%PDF-1.4\n% evidence\n"
FILENAME = (
    "2021_咸宁市政务服务和大数据管理局_2021-101-001_政务一体化平台建设_项目支出绩效自评表.xlsx"
)


@pytest.fixture
def signed(s3, settings):
    settings.S3_REDIRECT_DOWNLOADS = True
    return s3


def test_evidence_and_an_export_through_signed_urls_of_the_store(
    signed, page: Page, login, screenshot, tmp_path, settings
):
    login(page, "xn_clerk")
    evaluation = SelfEvaluation.objects.get(project__name="政务一体化平台建设")
    page.goto(f"/evaluations/{evaluation.pk}/")

    line = page.locator("#evidence tr[data-evidence-line]").nth(1)
    line.locator("input[type=file]").set_input_files(
        {"name": "验收报告.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    line.get_by_role("button", name="上传").click()
    expect(line.locator(".file")).to_contain_text("验收报告.pdf")
    evidence = Evidence.objects.get(result__evaluation=evaluation)
    assert signed.keys("evidence/") == [evidence.file.name]
    with page.expect_download() as download:
        line.locator(".file a").click()
    assert download.value.url.startswith(f"{signed.server.endpoint}/{signed.name}/evidence/")
    assert "X-Amz-Signature=" in download.value.url
    assert download.value.suggested_filename == "验收报告.pdf"
    assert download.value.path().read_bytes() == PDF

    page.get_by_role("button", name="导出 Excel").click()
    link = page.locator(".export-inline").first.get_by_role("link", name="下载 Excel")
    expect(link).to_be_visible()
    screenshot(page, "s3-01-form-export-done")
    job = ExportJob.objects.get()
    assert signed.keys("exports/") == [job.file.name]
    with page.expect_download() as download:
        link.click()
    assert download.value.url.startswith(f"{signed.server.endpoint}/{signed.name}/exports/")
    assert download.value.suggested_filename == FILENAME
    path = tmp_path / "table.xlsx"
    download.value.save_as(path)
    assert load_workbook(path).active["B3"].value == "政务一体化平台建设"

    line.locator("form.evidence-delete button").click()
    expect(line.locator(".file")).to_have_count(0)
    assert signed.keys("evidence/") == []
    media = settings.MEDIA_ROOT
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]
