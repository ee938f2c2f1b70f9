"""python manage.py import_data KIND FILE [--year YYYY] [--dry-run]
python manage.py import_data KIND --template --output PATH"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from budgets.models import FiscalYear
from imports import services
from imports.engine import plan_file
from imports.files import FileRefused, read_sheet
from imports.kinds import KINDS, Context
from imports.models import ImportJob
from imports.workbooks import template

LABELS = {"new": "新增", "update": "修改", "unchanged": "未变", "error": "错误"}


class Command(BaseCommand):
    help = "从 XLSX/CSV 批量导入数据（全部成功才写入），或生成导入模板。"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", nargs="?")
        parser.add_argument("--year", type=int, help="年度（文件中可省略“年度”列）")
        parser.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入")
        parser.add_argument("--template", action="store_true", help="生成空白导入模板")
        parser.add_argument("--output", help="模板输出路径（.xlsx）")

    def handle(self, *args, kind, file, year, dry_run, output, **options):
        fiscal_year = None
        if year is not None:
            fiscal_year = FiscalYear.objects.filter(year=year).first()
            if fiscal_year is None:
                raise CommandError(f"系统中没有 {year} 年度。")
        ctx = Context(user=None, year=fiscal_year)
        if options["template"]:
            if not output:
                raise CommandError("请用 --output 指定模板的保存路径。")
            Path(output).write_bytes(template(kind, ctx))
            self.stdout.write(f"已生成模板：{output}")
            return
        if not file:
            raise CommandError("请指定要导入的文件。")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        data = path.read_bytes()
        if dry_run:
            try:
                plan = plan_file(KINDS[kind], read_sheet(path.name, data), ctx)
            except FileRefused as exc:
                raise CommandError(str(exc)) from exc
            self._report(plan.counts, plan.error_list(), plan.notes)
            if plan.has_errors:
                raise CommandError("文件有错误（仅检查，未写入）。")
            self.stdout.write("检查通过（--dry-run，未写入）。")
            return
        try:
            job = services.import_now(kind=kind, name=path.name, data=data, year=fiscal_year)
        except services.ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        if job.state == ImportJob.State.FAILED:
            raise CommandError(job.message)
        self._report(job.counts, job.errors, job.notes)
        if job.state != ImportJob.State.DONE:
            raise CommandError(f"文件有错误，未写入任何数据（导入任务 {job.pk}）。")
        self.stdout.write(self.style.SUCCESS(f"导入完成（导入任务 {job.pk}）。"))

    def _report(self, counts, errors, notes) -> None:
        self.stdout.write(
            "，".join(
                f"{LABELS[k]} {counts.get(k, 0)}" for k in ("new", "update", "unchanged", "error")
            )
        )
        for note in notes:
            self.stdout.write(f"提示：{note}")
        for number, header, message in errors:
            line = f"第{number}行 {header}：{message}" if header else f"第{number}行：{message}"
            self.stderr.write(line)
