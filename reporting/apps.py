from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """The standard tables (one description rendered HTML/XLSX/PDF), export jobs and the
    dashboard: reads of the evaluations app, never its rules."""

    name = "reporting"
    verbose_name = "报表与导出"

    def ready(self):
        # The administrator's 待办 lists failed exports (evaluations may not import this app).
        from evaluations.todo import register_admin_source

        from .todo import failed_exports

        register_admin_source("reporting", failed_exports)
