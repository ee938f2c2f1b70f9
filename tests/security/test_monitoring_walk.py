"""绩效运行监控's finance pages (监控情况汇总, the lights on 绩效看板) against the access walk's
victim: clerks get 404, a reviewer of another department sees none of the victim's names."""

import pytest
from django.urls import reverse

from evaluations.models import MonitoringRound, MonitoringSheet
from tests.monitoring_data import fill
from tests.security.test_access_walk import _leaks, victim_words
from tests.security.walk import _login, _monitoring_sheets

pytestmark = pytest.mark.django_db


def test_monitoring_summary_and_board_show_only_reviewed_departments(victim, attackers):
    targets = _monitoring_sheets(victim)
    round_ = MonitoringRound.objects.get(year=victim.year)
    for target in targets:
        sheet = MonitoringSheet.objects.get(pk=target.kwargs["pk"])
        fill(sheet, lines=[("1", "2", "impossible", "other", "咸宁专属偏差", "")])
    summary = reverse("monitoring_summary")
    board = reverse("dashboard")
    for attacker in attackers:
        for url in (
            f"{summary}?year=2021",
            f"{summary}?year=2021&round={round_.pk}",
            f"{summary}?round=abc",
            f"{board}?year=2021&round={round_.pk}",
        ):
            response = attacker.client.get(url)
            if attacker.anonymous:
                assert response.status_code == 302
            elif "审核人" not in attacker.label:
                assert response.status_code in (404, 400), (attacker.label, url)
            else:
                assert response.status_code == 200, url
                body = response.content.decode()
                words = [*victim_words(victim, attacker), "咸宁专属偏差"]
                assert not _leaks(body, words), (url, _leaks(body, words))
    # positive control: the victim's own reviewer sees the victim's rows and red lines
    own, _ = _login("reviewer")
    body = own.get(f"{summary}?year=2021").content.decode()
    assert "咸宁市政务服务和大数据管理局" in body or "热线" in body
    body = own.get(f"{board}?year=2021").content.decode()
    assert "咸宁专属偏差" in body
