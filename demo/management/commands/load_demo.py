from django.core.management.base import BaseCommand

from demo.loader import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "加载演示数据（来自 ../shared/seeds/ 的真实公开文件），可重复执行。"

    def handle(self, *args, **options):
        report = load_demo()
        if report.created:
            created = "，".join(f"{kind} {n}" for kind, n in report.created.items())
            self.stdout.write(f"演示数据已加载：新增 {created}。")
        else:
            self.stdout.write("演示数据已是最新，无新增。")
        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, description in report.users:
            self.stdout.write(f"  {username:<10} {description}")
