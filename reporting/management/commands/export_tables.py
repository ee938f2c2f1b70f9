from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from budgets.models import Department, FiscalYear, Project
from reporting.exports import DOCX_KINDS, DOCX_ONLY, download_unit, render_files
from reporting.models import ExportJob
from reporting.tables import plan
from reporting.tables.html import standalone_html


class Command(BaseCommand):
    help = "导出标准表格（不经过 Celery，直接写文件）。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--table", required=True, choices=ExportJob.Kind.values)
        parser.add_argument("--department", help="单位编码（默认全部单位）")
        parser.add_argument("--project", help="项目编码")
        parser.add_argument("--format", required=True, choices=["xlsx", "pdf", "html", "docx"])
        parser.add_argument(
            "--output",
            required=True,
            help="输出文件路径；给出目录（已存在或以 / 结尾）时按导出命名规则命名文件",
        )

    def handle(self, *args, **options):
        if options["format"] == "docx" and options["table"] not in DOCX_KINDS:
            raise CommandError(DOCX_ONLY)
        year = FiscalYear.objects.filter(year=options["year"]).first()
        if year is None:
            raise CommandError(f"年度 {options['year']} 不存在。")
        departments = Department.objects.filter(is_active=True)
        if options["department"]:
            department = departments.filter(code=options["department"]).first()
            if department is None:
                raise CommandError(f"单位编码 {options['department']} 不存在。")
            departments = departments.filter(pk=department.pk)
        project_ids = set()
        if options["project"]:
            project = Project.objects.filter(year=year, code=options["project"]).first()
            if project is None:
                raise CommandError(f"{year.year}年度没有项目编码 {options['project']}。")
            project_ids = {project.pk}
            departments = departments.filter(pk=project.department_id)
        files = plan.files_for(
            options["table"], year, set(departments.values_list("id", flat=True)), project_ids
        )
        if not files:
            raise CommandError("所选范围内没有可导出的表格（例如尚无绩效自评）。")
        fmt = options["format"]
        if fmt == "html":
            if len(files) > 1:
                raise CommandError(
                    "HTML 格式一次只导出一个文件，请用 --department/--project 缩小范围。"
                )
            content, ext = standalone_html(files[0].tables).encode(), "html"
        else:
            content, ext = render_files(files, fmt)
        output = Path(options["output"])
        if options["output"].endswith(("/", "\\")) or output.is_dir():
            output = output / self._name(year, options["table"], departments, files, ext)
        elif output.suffix.lstrip(".") != ext:
            output = output.with_suffix(f".{ext}")
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(content)
        tables = sum(len(f.tables) for f in files)
        self.stdout.write(
            f"已写入 {output}（{len(content):,} 字节，{len(files)} 个文件，{tables} 张表）"
        )

    @staticmethod
    def _name(year, table, departments, files, ext: str) -> str:
        """The name an export of the same scope gets on the web (reporting.filenames)."""
        unit = download_unit(set(departments.values_list("pk", flat=True)))
        return plan.download_name(table, year.year, unit, files, ext)
