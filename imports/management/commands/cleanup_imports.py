from django.core.management.base import BaseCommand

from imports.services import job_sweep


class Command(BaseCommand):
    help = (
        "重新排队（或在多次中断后标记为已失败）停止汇报进度的导入任务。"
        "Celery beat 每5分钟也会执行。"
    )

    def handle(self, *args, **options):
        counts = job_sweep()
        self.stdout.write(
            f"导入任务：重新排队 {counts['requeued']} 个，标记失败 {counts['failed']} 个。"
        )
