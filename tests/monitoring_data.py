"""Monitoring data for the tests of the tables, summary, dashboard and imports (p16b): a round and
its 监控表 laid down directly, as the monitoring services (p16a) would leave them, so that these
tests read what is stored without depending on how the form saves."""

import datetime
from decimal import Decimal

from evaluations import lights
from evaluations.models import (
    FormState,
    MonitoringLine,
    MonitoringRound,
    MonitoringSheet,
)

D = Decimal


def round_create(fiscal_year, as_of=None, name="7月监控", deadline=None) -> MonitoringRound:
    """A round as of 31 July; its 报送截止日期 `deadline`, else 30 days from today (open for
    filling, whatever day the tests run)."""
    as_of = as_of or datetime.date(fiscal_year.year, 7, 31)
    deadline = deadline or max(as_of, datetime.date.today()) + datetime.timedelta(days=30)
    return MonitoringRound.objects.create(
        year=fiscal_year, name=name, as_of=as_of, deadline=deadline
    )


def sheet_create(round_, target_sheet, **fields) -> MonitoringSheet:
    """A 监控表 of an approved target sheet with one blank line per indicator."""
    project = target_sheet.project if target_sheet.project_id else None
    budget = project.full_total if project is not None else None
    sheet = MonitoringSheet.objects.create(
        round=round_,
        year=target_sheet.year,
        department=target_sheet.department,
        project=project,
        annual_budget=budget,
        **fields,
    )
    MonitoringLine.objects.bulk_create(
        MonitoringLine(sheet=sheet, indicator=i) for i in target_sheet.indicators.all()
    )
    return sheet


def fill(sheet, executed="80", predicted="150", reason="", state=FormState.DRAFT, lines=()):
    """Fill a sheet: funds and, per line in indicator order, (actual, predicted, likelihood,
    category, reason, measures); lights as lights.py computes them."""
    policy = sheet.year
    sheet.executed_to_date = D(executed) if executed is not None else None
    sheet.predicted_execution = D(predicted) if predicted is not None else None
    sheet.execution_reason = reason
    sheet.funds_light = lights.funds_light(
        annual_budget=sheet.annual_budget,
        executed_to_date=sheet.executed_to_date,
        predicted_execution=sheet.predicted_execution,
        as_of=sheet.round.as_of,
        yellow_gap=policy.monitoring_yellow_gap,
        red_gap=policy.monitoring_red_gap,
    )
    stored = list(sheet.lines.order_by("indicator__order", "indicator_id"))
    for line, values in zip(stored, lines, strict=False):
        (
            line.actual_to_date,
            line.predicted_value,
            line.likelihood,
            line.deviation_category,
            line.deviation_reason,
            line.measures,
        ) = values
        line.light = lights.line_light(line.likelihood)
        line.save()
    sheet.light = lights.worst([sheet.funds_light, *(line.light for line in stored)])
    sheet.state = state
    sheet.save()
    return sheet
