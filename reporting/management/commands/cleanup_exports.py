from django.core.management.base import BaseCommand

from reporting.exports import export_sweep


class Command(BaseCommand):
    help = (
        "清理过期的导出文件，并重新排队（或标记失败）中断的导出任务。Celery beat 每5分钟也会执行。"
    )

    def handle(self, *args, **options):
        counts = export_sweep()
        self.stdout.write(
            f"重新排队 {counts['requeued']} 个，标记失败 {counts['failed']} 个，"
            f"清理过期文件 {counts['expired']} 个。"
        )
