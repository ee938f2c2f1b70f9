"""manage.py health: one line per check (Chinese and English), exit 0 when all pass, 1 if not."""

import json
import time

from django.core.management.base import BaseCommand

from core import health


class Command(BaseCommand):
    help = "检查数据库、消息队列服务、各队列的工作进程和文件存储（全部正常时退出码为 0）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="以 JSON 输出 (machine-readable)"
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=1.0,
            help="连接消息队列服务、等待工作进程应答的秒数（默认 1）",
        )

    def handle(self, *args, as_json: bool = False, timeout: float = 1.0, **options):
        started = time.monotonic()
        found = health.checks(timeout=timeout)
        ok = all(check.ok for check in found)
        elapsed = round((time.monotonic() - started) * 1000)
        if as_json:
            self.stdout.write(_dumps([c.as_dict() for c in found], ok, elapsed))
        else:
            for check in found:
                mark = "正常 OK  " if check.ok else "异常 FAIL"
                self.stdout.write(f"{mark} {check.label} ({check.name}): {check.detail}")
            self.stdout.write(f"{'全部正常 all ok' if ok else '有异常 not ok'} ({elapsed} ms)")
        if not ok:
            raise SystemExit(1)


def _dumps(found: list[dict], ok: bool, ms: int) -> str:
    return json.dumps({"ok": ok, "ms": ms, "checks": found}, ensure_ascii=False)
