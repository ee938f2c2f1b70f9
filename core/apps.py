from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares and no app owns: the audit log, the number rule, the request
    reader, the bulk helpers, the error pages and the data generation (core/freshness.py).
    Imports only Django and the standard library."""

    name = "core"
    verbose_name = "系统"

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django.db import connections
        from django.db.backends.signals import connection_created

        from . import freshness

        connection_created.connect(freshness.install, dispatch_uid="core.freshness")
        request_finished.connect(freshness.flush_all, dispatch_uid="core.freshness")
        for connection in connections.all(initialized_only=True):  # opened before ready()
            freshness.install(connection)
