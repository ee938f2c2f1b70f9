"""At the year-end self-evaluation, each line shows what the latest monitoring round predicted
(全年预计完成值, 完成目标可能性, light), in one query whatever the number of lines."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.predictions import monitoring_predictions
from tests.monitoring_data import fill, round_create, sheet_create

pytestmark = pytest.mark.django_db


def _monitor(sheet):
    july = sheet_create(round_create(sheet.year), sheet)
    fill(july, lines=[("20", "40", "possible", "staff", "缺人", "招聘")])
    october = sheet_create(
        round_create(sheet.year, as_of=datetime.date(2025, 10, 31), name="10月监控"), sheet
    )
    fill(
        october,
        lines=[
            ("38", "47万件", "certain", "", "", ""),
            ("3", "3", "impossible", "equipment", "设备老化", "更换"),
        ],
    )
    return july, october


def test_latest_filled_round_wins(sheet):
    july, october = _monitor(sheet)
    ids = list(sheet.indicators.order_by("order").values_list("id", flat=True))
    found = monitoring_predictions(ids)
    assert found[ids[0]].predicted_value == "47万件" and found[ids[0]].light == "green"
    assert found[ids[1]].likelihood == "impossible"
    assert ids[2] not in found  # never filled in: nothing shown
    # a later round left blank does not hide the forecast
    sheet_create(round_create(sheet.year, as_of=datetime.date(2025, 11, 30), name="11月"), sheet)
    assert monitoring_predictions(ids)[ids[0]].sheet.round.name == "10月监控"


def test_evaluation_page_shows_the_prediction_at_a_fixed_query_count(client, evaluation, clerk):
    client.force_login(clerk)
    url = reverse("evaluation", args=[evaluation.pk])
    with CaptureQueriesContext(connection) as without:
        body = client.get(url).content.decode()
    assert "data-monitoring-prediction" not in body
    _monitor(evaluation.results.first().indicator.sheet)
    with CaptureQueriesContext(connection) as with_lines:
        body = client.get(url).content.decode()
    assert body.count("data-monitoring-prediction") == 2
    assert "10月监控预计：<b>47万件</b> · 确定能完成" in body
    assert "完全不可能完成" in body and "红灯" in body
    assert len(with_lines) == len(without), [q["sql"] for q in with_lines.captured_queries]
