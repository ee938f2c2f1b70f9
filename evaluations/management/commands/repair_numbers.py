from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from budgets.models import DepartmentBudget
from budgets.repair import repair_budgets
from evaluations.models import IndicatorResult, SelfEvaluation
from evaluations.repair import repair_evaluations
from evaluations.services import evaluation_refresh


class Command(BaseCommand):
    help = (
        "查找并修复超出范围的数值（得分超过分值、超出列位数的金额和计算结果），逐项报告并记录操作日志；"
        "受影响的绩效自评重新计算执行率、总分和等级。--dry-run 只报告，不修改。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只报告，不修改")

    def handle(self, *args, dry_run=False, **options):
        with transaction.atomic():
            changes = repair_budgets(apps, dry_run=dry_run) + repair_evaluations(
                apps, dry_run=dry_run
            )
            for change in changes:
                self.stdout.write(change.line())
            refreshed = 0 if dry_run else self._recompute(changes)
        verb = "发现" if dry_run else "已修复"
        self.stdout.write(
            f"{verb} {len(changes)} 处超出范围的数值"
            + (
                "（未修改，去掉 --dry-run 以修复）"
                if dry_run
                else f"，重新计算 {refreshed} 份绩效自评"
            )
            + "。"
        )

    @staticmethod
    def _recompute(changes) -> int:
        """The evaluations whose figures rest on a repaired value: computed again, so that no
        total or grade stays as the bad value made it (a score of 50 on a 10-point line gave
        总分 133.67 and 优)."""
        ids = {c.pk for c in changes if c.model == "evaluations.SelfEvaluation"}
        results = [c.pk for c in changes if c.model == "evaluations.IndicatorResult"]
        ids |= set(
            IndicatorResult.objects.filter(pk__in=results).values_list("evaluation_id", flat=True)
        )
        projects = [c.pk for c in changes if c.model == "budgets.Project"]
        budgets = [c.pk for c in changes if c.model == "budgets.DepartmentBudget"]
        condition = Q(pk__in=ids) | Q(project__in=projects)
        if budgets:
            for year_id, department_id in DepartmentBudget.objects.filter(
                pk__in=budgets
            ).values_list("year_id", "department_id"):
                condition |= Q(project=None, year_id=year_id, department_id=department_id)
        evaluations = list(SelfEvaluation.objects.filter(condition).select_related("year"))
        for evaluation in evaluations:
            evaluation_refresh(evaluation)
        return len(evaluations)
