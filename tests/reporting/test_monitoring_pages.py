"""The finance pages of 绩效运行监控: 监控情况汇总, the lights on 绩效看板 and a 监控表's printable
page; fixed query counts whatever the number of sheets."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.access import access_for
from evaluations.models import FormState
from reporting import monitoring
from tests.factories import IndicatorFactory, ProjectFactory, TargetSheetFactory, member
from tests.monitoring_data import fill, round_create, sheet_create

pytestmark = pytest.mark.django_db
RED = [("1", "2", "impossible", "funding", "经费未到位", "申请追加")]


@pytest.fixture
def monitoring_sheet(sheet):
    return sheet_create(round_create(sheet.year), sheet)


def _more(monitoring_sheet, n):
    for _ in range(n):
        project = ProjectFactory(department=monitoring_sheet.department, year=monitoring_sheet.year)
        target = TargetSheetFactory(project=project, state=FormState.APPROVED)
        IndicatorFactory(sheet=target)
        IndicatorFactory(sheet=target)
        fill(sheet_create(monitoring_sheet.round, target), lines=RED * 2)


def test_board_counts_lights_and_links_red_sheets(monitoring_sheet, reviewer):
    fill(monitoring_sheet, executed="100", lines=RED)
    board = monitoring.board_for(reviewer, monitoring_sheet.round)
    assert board.sheets == {"red": 1}
    assert board.lines == {"red": 1, "": 3}
    assert [b["count"] for b in board.line_bars] == [1, 0, 0, 3]
    assert board.red_sheets[0].href == reverse("monitoring_sheet", args=[monitoring_sheet.pk])
    assert board.red_lines[0].indicator == "话务平台接听量"
    assert board.red_lines[0].reason == "经费未到位"
    outsider = member(TargetSheetFactory().department, "reviewer")
    assert monitoring.board_for(outsider, monitoring_sheet.round).total_sheets == 0


def test_dashboard_and_summary_cost_the_same_queries_for_more_sheets(
    client, monitoring_sheet, reviewer
):
    fill(monitoring_sheet, lines=RED)
    access_for(reviewer)
    client.force_login(reviewer)
    pages = [
        (reverse("dashboard"), {"year": 2025}),
        (reverse("monitoring_summary"), {"year": 2025}),
    ]
    small = []
    for url, params in pages:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
            assert response.status_code == 200
        small.append(len(queries))
    body = response.content.decode()
    assert "绩效运行监控情况汇总表" in body and "市政府大数据中心" in body
    _more(monitoring_sheet, 8)
    for (url, params), before in zip(pages, small, strict=True):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert len(queries) == before, [q["sql"] for q in queries.captured_queries]
    board = monitoring.board_for(reviewer, monitoring_sheet.round)
    assert board.sheets["red"] == 9 and board.lines["red"] == 17
    # the page drawn after the writes shows them (its cached part is of the data before)
    body = client.get(reverse("dashboard"), {"year": 2025}).content.decode()
    section = body[body.index('id="monitoring"') :]
    assert "（共 9）" in section and section.count("测试项目") >= 9
    print(f"\n绩效看板含监控：{small[0]} 次查询；监控汇总：{small[1]} 次查询（1 或 9 张监控表）")


def test_summary_is_finance_only_and_copes_without_rounds(client, sheet, clerk, reviewer):
    client.force_login(clerk)
    assert client.get(reverse("monitoring_summary")).status_code == 404
    client.force_login(reviewer)
    response = client.get(reverse("monitoring_summary"), {"year": 2025, "round": "x"})
    assert response.status_code == 200
    assert "本年度尚未开启绩效运行监控" in response.content.decode()


def test_table_page_for_the_unit_and_404_for_others(client, monitoring_sheet, clerk, tree):
    fill(monitoring_sheet, lines=RED)
    url = reverse("monitoring_table", args=[monitoring_sheet.pk])
    client.force_login(clerk)
    body = client.get(url).content.decode()
    assert "绩效目标执行监控表" in body and "红灯" in body and "经费保障：经费未到位" in body
    assert 'value="monitoring"' in body  # its export buttons
    client.force_login(member(tree["other"]))
    assert client.get(url).status_code == 404


def test_table_page_costs_the_same_for_more_lines(client, monitoring_sheet, clerk):
    fill(monitoring_sheet, lines=RED)
    client.force_login(clerk)
    url = reverse("monitoring_table", args=[monitoring_sheet.pk])
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    target = monitoring_sheet.lines.first().indicator.sheet
    for _ in range(6):
        indicator = IndicatorFactory(sheet=target)
        monitoring_sheet.lines.create(indicator=indicator, likelihood="certain", light="green")
    with CaptureQueriesContext(connection) as large:
        body = client.get(url).content.decode()
    assert body.count("绿灯") >= 6
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
