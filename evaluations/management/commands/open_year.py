from django.core.management.base import BaseCommand, CommandError

from budgets.models import FiscalYear
from evaluations.models import IndicatorCategory
from evaluations.services import fiscal_year_create, indicator_tree_seed

# A budget year, not a typo: PositiveSmallIntegerField holds more, no plan does.
FIRST_YEAR, LAST_YEAR = 2000, 2099


class Command(BaseCommand):
    help = (
        "开设年度：以默认评分规则和标准一级/二级指标分类创建年度，记录操作日志。"
        "年度已存在时不修改（缺少指标分类的补齐），可重复执行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help="年度，如 2027")

    def handle(self, *args, year: int, **options):
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise CommandError(f"年度须在{FIRST_YEAR}至{LAST_YEAR}之间：{year}")
        existing = FiscalYear.objects.filter(year=year).first()
        if existing is None:
            self._open(year)
        else:
            self._report_existing(existing)

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
