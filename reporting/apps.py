from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """The standard tables (one description rendered HTML/XLSX/PDF), export jobs and the
    dashboard: reads of the evaluations app, never its rules."""

    name = "reporting"
    verbose_name = "报表与导出"
