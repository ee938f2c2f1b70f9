"""What was predicted at 绩效运行监控 for the lines of a year-end self-evaluation: per indicator,
the latest monitoring round's 全年预计完成值, 完成目标可能性 and light, shown beside the 实际完成值
so that the clerk and the reviewer see the year's outcome against what was forecast in July.

"Latest" is the latest round (by 截至日期) in which the line was filled in at all (a
可能性 or a 预计完成值): a later round left blank does not hide an earlier forecast. One query
for all the lines of a form, whatever their number.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from .models import MonitoringLine


def monitoring_predictions(indicator_ids: Iterable[int]) -> dict[int, MonitoringLine]:
    """{indicator id: its latest filled MonitoringLine, with its round's name} (1 query)."""
    ids = list(indicator_ids)
    if not ids:
        return {}
    found: dict[int, MonitoringLine] = {}
    lines = (
        MonitoringLine.objects.filter(indicator_id__in=ids)
        .filter(~Q(likelihood="") | ~Q(predicted_value=""))
        .select_related("sheet__round")
        # what the form shows of a prediction (_monitoring_prediction.html); the sheet's and
        # the line's other columns stay unread
        .only(
            "indicator_id",
            "predicted_value",
            "likelihood",
            "light",
            "sheet__round__name",
        )
        .order_by("sheet__round__as_of", "sheet__round_id")
    )
    for line in lines:
        found[line.indicator_id] = line  # later rounds overwrite earlier ones
    return found
