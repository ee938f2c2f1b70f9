"""绩效运行监控 in the browser, the reporting side: finance opens the 监控情况汇总 and downloads it
as XLSX, sees the round's lights on 绩效看板; the clerk sees, on the year-end self-evaluation,
what was predicted at monitoring; the 监控表 prints as its standard table."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from evaluations.models import MonitoringSheet, SelfEvaluation
from reporting import exports

PROJECT = "2021-101-001"


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(exports, "enqueue", lambda job: sent.append(job.pk))
    return sent


@pytest.fixture
def monitored(demo) -> MonitoringSheet:
    """The demo's July round of 2021 (load_demo opens it): 政务一体化平台建设's sheet is submitted
    with one red line and its reason."""
    sheet = MonitoringSheet.objects.get(round__year__year=2021, project__code=PROJECT)
    assert sheet.light == "red"
    return sheet


def test_finance_summary_download_and_lights_on_the_board(
    page: Page, login, screenshot, queued, monitored, tmp_path
):
    login(page, "reviewer")
    page.goto("/monitoring/summary/?year=2021")
    table = page.locator("#monitoring-summary table.std-table")
    expect(table).to_contain_text("绩效运行监控情况汇总表")
    expect(table).to_contain_text("咸宁市政务服务和大数据管理局")
    screenshot(page, "p16b-01-monitoring-summary")
    page.get_by_role("button", name="导出汇总表 Excel").click()
    line = page.locator(".export-inline").first
    expect(line.locator(".job-label")).to_have_text("排队中")
    exports.export_run(job_id=queued[-1])  # the worker
    link = line.get_by_role("link", name="下载 汇总表 Excel")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "summary.xlsx"
    download.value.save_as(path)
    assert "绩效运行监控情况汇总表" in download.value.suggested_filename
    ws = load_workbook(path).active
    assert ws["A1"].value == "绩效运行监控情况汇总表"
    rows = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    xianning = rows["咸宁市政务服务和大数据管理局"]
    assert ws.cell(xianning, 7).value == 1  # 红灯表
    assert ws.cell(xianning, 10).value == 1  # 红灯指标

    page.goto("/dashboard/?year=2021")
    section = page.locator("#monitoring")
    expect(section).to_contain_text("绩效运行监控")
    red = monitored.lines.filter(light="red").select_related("indicator").first()
    expect(section.locator("#monitoring-red-lines")).to_contain_text(red.indicator.name)
    section.scroll_into_view_if_needed()
    screenshot(page, "p16b-02-dashboard-lights")
    section.locator("#monitoring-red-sheets a").first.click()
    expect(page).to_have_url(re.compile(rf"/monitoring/{monitored.pk}/$"))


def test_clerk_sees_the_prediction_on_the_year_end_form_and_prints_the_table(
    page: Page, login, screenshot, monitored
):
    login(page, "xn_clerk")
    evaluation = SelfEvaluation.objects.get(project__code=PROJECT)
    page.goto(f"/evaluations/{evaluation.pk}/")
    predictions = page.locator("[data-monitoring-prediction]")
    expect(predictions.first).to_contain_text("监控预计：")
    expect(page.locator("[data-monitoring-prediction] .light-red").first).to_have_text("红灯")
    predictions.first.scroll_into_view_if_needed()
    screenshot(page, "p16b-03-year-end-prediction")

    page.goto(f"/monitoring/{monitored.pk}/")
    expect(page.locator("#monitoring-toolbar")).to_contain_text("导出 Excel（离线填报表）")
    screenshot(page, "p16b-05-monitoring-sheet-toolbar")
    page.get_by_role("link", name="查看标准表 / 打印").click()
    table = page.locator("table.std-table")
    expect(table).to_contain_text("绩效目标执行监控表")
    expect(table).to_contain_text("（2021年1–7月）")
    expect(table.locator("td.s-red").first).to_have_text("红灯")
    expect(table).to_contain_text(red_reason(monitored))
    screenshot(page, "p16b-04-monitoring-table")


def red_reason(sheet) -> str:
    line = sheet.lines.filter(light="red").first()
    return line.deviation_reason
