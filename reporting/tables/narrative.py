"""自评综述 (DOMAIN.md, "The standard tables" 6): one paragraph per project in the style of the
决算 text, e.g. 项目全年预算数为158.00万元，执行数为118.30万元，完成预算74.87%。主要产出和效益：…。
发现的问题及原因：…。下一步改进措施：…。

Three columns: 序号 | 项目名称 | 综述, the projects grouped under a row naming their department.
"""

from itertools import groupby

from core import formatting
from evaluations import scoring
from evaluations.snapshot import _s

from .base import Builder, Style, Table
from .self_evaluation import dec
from .summary import year_evaluations

WIDTHS = [6.0, 24.0, 70.0]
N = len(WIDTHS)
CLAUSES = (
    ("actual", "主要产出和效益"),
    ("problems", "发现的问题及原因"),
    ("measures", "下一步改进措施"),
)
# a text's own closing punctuation gives way to the sentence's 。
TRAILING = "。．.；;，,、 \t\r\n\u3000"


def narrative_text(data: dict) -> str:
    """The paragraph of one project. `data` has the shape of `gather_evaluations` (funds with a
    total row, execution_rate, actual, problems, measures); a clause whose text is empty is left
    out, so a project not yet evaluated gets the money sentence only."""
    total = next((f for f in data.get("funds") or [] if f["is_total"]), {})
    full, executed = dec(total.get("full")), dec(total.get("executed"))
    rate = dec(data.get("execution_rate"))
    money = []
    if full is not None:
        money.append(f"项目全年预算数为{formatting.money(full)}")
    if executed is not None:
        money.append(f"执行数为{formatting.money(executed)}")
    if rate is not None:
        money.append(f"完成预算{formatting.percent(rate)}")
    text = "，".join(money) + "。" if money else ""
    for key, label in CLAUSES:
        clause = (data.get(key) or "").strip().rstrip(TRAILING)
        if clause:
            text += f"{label}：{clause}。"
    return text


def narrative_table(year: int, items: list[dict]) -> Table:
    """items (in print order): department_code, department, project_name and what
    `narrative_text` reads."""
    title = f"{year}年度项目支出绩效自评综述"
    table = Table(
        title=title,
        subtitle="",
        sheet_name="自评综述",
        widths=WIDTHS,
        header_rows=2,
        landscape=False,
    )
    b = Builder(table)
    b.span(title, Style.TITLE)
    b.row()
    for col, heading in enumerate(("序号", "项目名称", "综述")):
        b.put(col, heading, Style.HEADER)
    b.row()
    number = 0
    for _, group in groupby(items, key=lambda item: item["department_code"]):
        group = list(group)
        b.span(group[0]["department"], Style.TEXT, bold=True)
        b.row()
        for item in group:
            number += 1
            b.put(0, number, Style.CENTER)
            b.put(1, item["project_name"], Style.TEXT)
            b.put(2, narrative_text(item), Style.TEXT)
            b.row()
    return table


# ---------------------------------------------------------------------------------------------
# Gathering: a fixed number of queries for any number of projects
# ---------------------------------------------------------------------------------------------


def unevaluated(project) -> dict:
    """A project without a self-evaluation, in the shape narrative_text reads."""
    full, executed = project.full_total, project.executed_total
    return {
        "kind": "project",
        "project_code": project.code,
        "project_name": project.name,
        "department": project.department.name,
        "department_code": project.department.code,
        "funds": [
            {"label": "年度资金总额", "full": _s(full), "executed": _s(executed), "is_total": True}
        ],
        "execution_rate": _s(scoring.execution_rate(full, executed)),
    }


def gather_narrative(year: int, department_ids: set[int] | None) -> list[dict]:
    """One item per project of the year, ordered by department code and project code; approved
    evaluations answer with their frozen snapshot."""
    projects, evaluations, data = year_evaluations(year, department_ids, projects_only=True)
    by_project = {e.project_id: e for e in evaluations}
    items = []
    for project in projects:
        evaluation = by_project.get(project.pk)
        item = unevaluated(project) if evaluation is None else dict(data[evaluation.pk])
        # grouped by the live department, named as the (possibly frozen) data names it
        item["department_code"] = project.department.code
        items.append(item)
    return items
