from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares and no app owns: the audit log, the number rule, the request
    reader, the bulk helpers and the error pages. Imports only Django and the standard library."""

    name = "core"
    verbose_name = "系统"
