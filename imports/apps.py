from django.apps import AppConfig


class ImportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "imports"
    verbose_name = "批量导入"

    def ready(self):
        # The users kind lives in its own module, which builds on the shared lookups of
        # `kinds`; registering it here (not at the bottom of `kinds`) keeps the import one-way.
        from .kinds import KINDS
        from .kinds_library import IndicatorLibrary
        from .kinds_monitoring import Monitoring
        from .kinds_users import Users

        KINDS.setdefault(Users.key, Users())
        KINDS.setdefault(IndicatorLibrary.key, IndicatorLibrary())
        KINDS.setdefault(Monitoring.key, Monitoring())

        # The administrator's 待办 lists failed imports (evaluations may not import this app).
        from evaluations.todo import register_admin_source

        from .todo import failed_imports

        register_admin_source("imports", failed_imports)
