from django.core.management.base import BaseCommand, CommandError

from budgets.models import FiscalYear
from evaluations.models import IndicatorCategory
from evaluations.services import (
    YearOpeningRefused,
    fiscal_year_create,
    indicator_tree_seed,
    year_open,
)

# A budget year, not a typo: PositiveSmallIntegerField holds more, no plan does.
FIRST_YEAR, LAST_YEAR = 2000, 2099


class Command(BaseCommand):
    help = (
        "开设年度：以默认评分规则和标准一级/二级指标分类创建年度，记录操作日志。"
        "年度已存在时不修改（缺少指标分类的补齐），可重复执行。"
        "--from 上一年度：复制其指标分类、评分规则、未结束的项目（同编码）及其绩效目标和部门整体"
        "绩效目标（草稿），已存在的跳过；--dry-run 只列出将复制的内容。"
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help="年度，如 2027")
        parser.add_argument("--from", dest="previous", type=int, help="上一年度，如 2026")
        parser.add_argument("--dry-run", action="store_true", help="只列出将复制的内容，不保存")

    def handle(self, *args, year: int, previous=None, dry_run=False, **options):
        for value in (year, previous):
            if value is not None and not FIRST_YEAR <= value <= LAST_YEAR:
                raise CommandError(f"年度须在{FIRST_YEAR}至{LAST_YEAR}之间：{value}")
        if previous is not None:
            self._open_from(year, previous, dry_run)
            return
        if dry_run:
            raise CommandError("--dry-run 须与 --from 一起使用。")
        existing = FiscalYear.objects.filter(year=year).first()
        if existing is None:
            self._open(year)
        else:
            self._report_existing(existing)

    def _open_from(self, year: int, previous: int, dry_run: bool) -> None:
        try:
            opening = year_open(year=year, previous=previous, actor=None, dry_run=dry_run)
        except YearOpeningRefused as error:
            raise CommandError(str(error)) from error
        if dry_run:
            for title, projects in (
                ("将结转的项目", opening.projects),
                ("已存在、跳过的项目", opening.skipped),
                ("已结束、不结转的项目", opening.ended),
            ):
                self.stdout.write(f"{title}（{len(projects)}个）：")
                for p in projects:
                    self.stdout.write(f"  {p.department.name}  {p.code}  {p.name}")
        self.stdout.write(opening.summary())

    def _open(self, year: int) -> None:
        fiscal_year = fiscal_year_create(year=year, actor=None)
        categories = IndicatorCategory.objects.filter(year=fiscal_year, is_active=True).count()
        self.stdout.write(
            f"已创建{fiscal_year}：默认评分规则，{categories}个启用的一级/二级指标分类。"
        )

    def _report_existing(self, fiscal_year: FiscalYear) -> None:
        # A year added before the admin went through the services has no classification:
        # seeding is idempotent, so an existing year is completed rather than left broken.
        added = indicator_tree_seed(fiscal_year=fiscal_year, actor=None)
        note = f"，已补齐{added}个一级/二级指标分类" if added else "，未修改"
        self.stdout.write(f"{fiscal_year}已存在{note}。")
