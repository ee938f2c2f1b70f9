from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo loader (`manage.py load_demo`) and its seed data: a client of the other apps'
    services, as an administrator's imports are."""

    name = "demo"
    verbose_name = "演示数据"
