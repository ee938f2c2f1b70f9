"""The `indicator-library` kind: the 指标库 (finance's 三级指标 for reuse across years).

Rows are matched on 指标编码 (the entry's identity across years): a new code creates the entry,
a known one updates it (upsert). The rules are the admin's (`evaluations.services.library_problems`:
one line by `rules`, with the number rule for the 典型指标值 of a quantitative comparator; 一级/二级
as the standard tree or some year names them). The same rules as every kind: a blank cell
changes nothing, imports never delete (取消“启用” by 启用 = 否), all or nothing, one audit record.
Finance reviewers and administrators may import it.
"""

from budgets.access import Role, access_for
from evaluations import scoring
from evaluations.models import LibraryIndicator
from evaluations.services import LIBRARY_FIELDS, known_categories, library_problems

from .engine import NEW, UPDATE, Column, Plan, compare, mark_duplicates
from .files import FileRefused
from .kinds import BATCH, Context, chunks

CODE = "指标编码"
HEADERS = {
    "code": CODE,
    "level1": "一级指标",
    "level2": "二级指标",
    "domain": "行业/领域",
    "name": "三级指标",
    "comparator": "指标性质",
    "typical_value": "典型指标值",
    "unit": "计量单位",
    "explanation": "指标解释",
    "scoring_rule": "评（扣）分标准",
    "is_active": "启用",
}
ACTIVE_CHOICES = (("是", "是"), ("否", "否"))


def _field(name: str):
    return LibraryIndicator._meta.get_field(name)


class IndicatorLibrary:
    key = "indicator-library"
    label = "指标库"
    instructions = [
        "每行一个指标库指标，按“指标编码”匹配：编码已存在则更新，不存在则新建。指标编码是指标跨年度的"
        "唯一标识，请勿改用他码。",
        "一级/二级指标填写标准分类的名称（如 产出指标 / 数量指标），行业/领域可自行填写"
        "（如 信息化建设、运维保障、政务服务）。",
        "指标性质：≥ > = ≤ < 为定量指标，典型指标值（可留空）须为数字并填写计量单位；"
        "文字目标选“定性”。",
        "启用填“否”的指标不再出现在绩效目标填报的指标库搜索中；导入不会删除指标。",
        "只有财政审核人和系统管理员可以导入指标库。",
    ]

    def columns(self, ctx):
        def text(key, **kwargs):
            return Column(HEADERS[key], key, max_length=_field(key).max_length, **kwargs)

        required = {"required": True, "required_header": True}
        return [
            text("code", **required),
            text("level1", **required),
            text("level2", **required),
            text("domain", note="如 信息化建设、运维保障、政务服务"),
            text("name", **required),
            Column(
                HEADERS["comparator"],
                "comparator",
                "choice",
                choices=tuple((c, c) for c in scoring.COMPARATORS),
                **required,
            ),
            text("typical_value", note="定量指标填数字"),
            text("unit"),
            Column(HEADERS["explanation"], "explanation"),
            Column(
                HEADERS["scoring_rule"],
                "scoring_rule",
                aliases=("评分标准", "评(扣)分标准"),
            ),
            Column(HEADERS["is_active"], "is_active", "choice", choices=ACTIVE_CHOICES),
        ]

    def resolve(self, plan: Plan, ctx: Context) -> None:
        if not (ctx.is_admin or Role.REVIEWER in access_for(ctx.user).roles()):
            raise FileRefused("只有财政审核人和系统管理员可以导入指标库。")
        rows = plan.rows
        mark_duplicates(rows, lambda r: r.values.get("code"), CODE)
        existing = {}
        for chunk in chunks({r.values["code"] for r in rows if "code" in r.values}):
            existing.update({e.code: e for e in LibraryIndicator.objects.filter(code__in=chunk)})
        known = known_categories()
        for row in rows:
            if row.errors:
                continue
            values = {k: row.values[k] for k in HEADERS if k in row.values}
            if "is_active" in values:
                values["is_active"] = values["is_active"] == "是"
            stored = existing.get(values["code"])
            row.label = f"{values['code']} {values['name']}"
            entry = LibraryIndicator(
                pk=stored.pk if stored else None,
                **{
                    name: values.get(name, getattr(stored, name) if stored else _default(name))
                    for name in LIBRARY_FIELDS
                },
            )
            for field, problems in library_problems(entry, known).items():
                for problem in problems:
                    row.error(HEADERS.get(field, ""), problem)
            if row.errors:
                continue
            compare(row, stored, HEADERS, values)
            row.target = entry

    def write(self, plan: Plan, ctx: Context) -> None:
        LibraryIndicator.objects.bulk_create(
            [r.target for r in plan.rows if r.status == NEW], batch_size=BATCH
        )
        changed = [r.target for r in plan.rows if r.status == UPDATE]
        LibraryIndicator.objects.bulk_update(
            changed, [f for f in LIBRARY_FIELDS if f != "code"], batch_size=BATCH
        )


def _default(name: str):
    return _field(name).get_default()
