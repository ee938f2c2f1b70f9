"""绩效目标执行监控表 (DOMAIN.md, 绩效运行监控): one per project (or 部门整体) and monitoring round.

Ten columns: 一级指标 | 二级指标 | 三级指标 | 年度指标值 | 1–N月实际完成值 | 全年预计完成值 |
完成目标可能性 | 偏差原因 | 完成目标的措施 | 监控结果; the header, 预算执行 and 年度总体目标
blocks above are laid on the same columns (see the README for the cell layout). What is not yet
filled in prints blank: the same table is the offline form (`imports.monitoring_table` reads it
back). Lights are the stored ones (evaluations.lights computes them, the services store them).
"""

from __future__ import annotations

from django.utils.timezone import localdate

from evaluations import lights
from evaluations.models import DeviationCategory, Likelihood
from evaluations.services.monitoring import LINE_FIELDS as FILLED  # what the clerk fills
from evaluations.snapshot import _s, form_identity

from .base import Builder, Style, Table
from .self_evaluation import dec, form_header, indicator_rows, target_text

WIDTHS = [13.0, 12.0, 22.0, 14.0, 13.0, 13.0, 12.0, 21.0, 22.0, 9.0]
N = len(WIDTHS)
TITLE = "绩效目标执行监控表"
INDICATOR_HEADINGS = (
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "1–{n}月实际完成值",
    "全年预计完成值",
    "完成目标可能性",
    "偏差原因（类别：说明）",
    "完成目标的措施",
    "监控结果",
)
FUNDS_LABEL = "预算执行情况（万元）"
# funds block: (heading, first column, colspan) over columns 1–9
FUNDS_COLUMNS = (
    ("全年预算数", 1, 2),
    ("1–{n}月执行数", 3, 1),
    ("执行率", 4, 1),
    ("全年预计执行数", 5, 1),
    ("预计执行率", 6, 1),
    ("时间进度", 7, 1),
    ("监控结果", 8, 2),
)
LIGHT_LABELS = {lights.GREEN: "绿灯", lights.YELLOW: "黄灯", lights.RED: "红灯"}
LIGHT_STYLES = {lights.GREEN: Style.GREEN, lights.YELLOW: Style.YELLOW, lights.RED: Style.RED}
CATEGORY_SEPARATOR = "："


def put_light(b: Builder, col: int, light: str, **kwargs) -> None:
    """A 监控结果 cell: 绿灯/黄灯/红灯 on its colour; blank (plain) while there is none."""
    if light in LIGHT_LABELS:
        b.put(col, LIGHT_LABELS[light], LIGHT_STYLES[light], **kwargs)
    else:
        b.put(col, "", Style.CENTER, **kwargs)


def reason_text(category_label: str, reason: str) -> str:
    """偏差原因 as printed: 类别：说明 (either may be missing)."""
    if category_label and reason:
        return f"{category_label}{CATEGORY_SEPARATOR}{reason}"
    return category_label or reason


def monitoring_table(data: dict) -> Table:
    """The table of one sheet's data (`gather_sheet`, plain values)."""
    project = data["kind"] == "project"
    n = data["months"]
    name = data["project_name"] if project else data["department"]
    table = Table(
        title=TITLE,
        subtitle=f"（{data['year']}年1–{n}月）",
        sheet_name=(data["project_code"] or data["department_code"]) + " " + name,
        widths=WIDTHS,
        header_rows=2,
        landscape=True,
    )
    b = form_header(table, data, project, columns=10)
    _funds(b, data)
    b.put(0, "年度总体目标", Style.LABEL)
    b.put(1, data["goal"], Style.TEXT, colspan=9)
    b.row()
    _indicators(b, data)
    _rectification(b, data)
    b.put(0, f"填表人：{data.get('filler') or ''}", Style.FOOTER, colspan=2)
    b.put(2, f"填报日期：{data.get('submitted') or ''}", Style.FOOTER, colspan=3)
    b.put(5, f"联系电话：{data.get('phone') or ''}", Style.FOOTER, colspan=2)
    b.put(7, "单位负责人签字：", Style.FOOTER, colspan=3)
    b.row()
    return table


def _funds(b: Builder, data: dict) -> None:
    n = data["months"]
    reason = data.get("execution_reason") or ""
    b.put(0, FUNDS_LABEL, Style.LABEL, rowspan=3 if reason else 2)
    for heading, col, span in FUNDS_COLUMNS:
        b.put(col, heading.format(n=n), Style.HEADER, colspan=span)
    b.row()
    budget, executed, predicted = (
        dec(data["annual_budget"]),
        dec(data["executed_to_date"]),
        dec(data["predicted_execution"]),
    )
    b.put(1, budget, Style.MONEY, colspan=2)
    b.put(3, executed, Style.MONEY)
    b.put(4, lights.rate(executed, budget), Style.PERCENT)
    b.put(5, predicted, Style.MONEY)
    b.put(6, lights.rate(predicted, budget), Style.PERCENT)
    b.put(7, dec(data["elapsed"]), Style.PERCENT)
    put_light(b, 8, data["funds_light"], colspan=2)
    b.row()
    if reason:
        b.put(1, "执行偏差原因", Style.LABEL, colspan=2)
        b.put(3, reason, Style.TEXT, colspan=7)
        b.row()


def _indicators(b: Builder, data: dict) -> None:
    n = data["months"]
    for col, heading in enumerate(INDICATOR_HEADINGS):
        b.put(col, heading.format(n=n), Style.HEADER)
    b.row()
    for row in indicator_rows(b, data["indicators"]):
        b.put(3, target_text(row), Style.TEXT)
        b.put(4, row["actual_to_date"], Style.TEXT)
        b.put(5, row["predicted_value"], Style.TEXT)
        b.put(6, row["likelihood"], Style.CENTER)
        b.put(7, reason_text(row["category"], row["reason"]), Style.TEXT)
        b.put(8, row["measures"], Style.TEXT)
        put_light(b, 9, row["light"])


def _rectification(b: Builder, data: dict) -> None:
    """整改要求和建议 / 整改结果 of the sheet and of its lines, where finance ordered any."""
    requests, results = [], []
    if data.get("rectification_request"):
        requests.append(data["rectification_request"])
    if data.get("rectification_result"):
        results.append(data["rectification_result"])
    for row in data["indicators"]:
        if row.get("rectification_request"):
            requests.append(f"【{row['name']}】{row['rectification_request']}")
        if row.get("rectification_result"):
            results.append(f"【{row['name']}】{row['rectification_result']}")
    for label, texts in (("整改要求和建议", requests), ("整改结果", results)):
        if texts:
            b.put(0, label, Style.LABEL)
            b.put(1, "\n".join(texts), Style.TEXT, colspan=9)
            b.row()


# ---------------------------------------------------------------------------------------------
# Gathering: see registry.monitoring_tables (a fixed number of queries for any number of sheets)
# ---------------------------------------------------------------------------------------------


# what the table reads of a line and of its indicator (plain values: a city's 45,000 lines as
# model instances, with their indicators and categories, took longer than their whole tables)
LINE_FIELDS = (
    "sheet_id",
    "id",
    *FILLED,
    "light",
    "rectification_request",
    "rectification_result",
    "indicator__name",
    "indicator__comparator",
    "indicator__target_value",
    "indicator__adjusted_target_value",
    "indicator__unit",
    "indicator__weight",
    "indicator__category__name",
    "indicator__category__order",
    "indicator__category__parent__name",
    "indicator__category__parent__order",
)
LINE_ORDER = ("indicator__order", "indicator_id")
_LIKELIHOOD = dict(Likelihood.choices)
_DEVIATION = dict(DeviationCategory.choices)


def gather_sheet(sheet, goal: str, lines: list[dict]) -> dict:
    """What the table shows of a sheet that comes with round, year, department (and its
    parents), project and filled_by's profile, and of its `lines` (LINE_FIELDS, in LINE_ORDER)."""
    indicators = [
        {
            "id": line["id"],
            "level1": line["indicator__category__parent__name"],
            "level2": line["indicator__category__name"],
            "order": [
                line["indicator__category__parent__order"],
                line["indicator__category__order"],
            ],
            "name": line["indicator__name"],
            "comparator": line["indicator__comparator"],
            "target": line["indicator__target_value"],
            "adjusted": line["indicator__adjusted_target_value"],
            "unit": line["indicator__unit"],
            "weight": _s(line["indicator__weight"]),
            "actual_to_date": line["actual_to_date"],
            "predicted_value": line["predicted_value"],
            "likelihood": _LIKELIHOOD.get(line["likelihood"], line["likelihood"]),
            "category": _DEVIATION.get(line["deviation_category"], line["deviation_category"]),
            "reason": line["deviation_reason"],
            "measures": line["measures"],
            "light": line["light"],
            "rectification_request": line["rectification_request"],
            "rectification_result": line["rectification_result"],
        }
        for line in lines
    ]
    submitted = localdate(sheet.submitted_at).isoformat() if sheet.submitted_at else ""
    return {
        **form_identity(sheet, sheet.department),
        "months": sheet.round.months,
        "elapsed": _s(round(lights.elapsed_share(sheet.round.as_of), 4)),
        "annual_budget": _s(sheet.annual_budget),
        "executed_to_date": _s(sheet.executed_to_date),
        "predicted_execution": _s(sheet.predicted_execution),
        "execution_reason": sheet.execution_reason,
        "funds_light": sheet.funds_light,
        "light": sheet.light,
        "goal": goal,
        "indicators": indicators,
        "rectification_request": sheet.rectification_request,
        "rectification_result": sheet.rectification_result,
        "submitted": submitted,
    }
