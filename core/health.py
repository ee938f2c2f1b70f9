"""Is this installation able to work? Two answers for two audiences.

`checks()` is `manage.py health` (monitoring, an operator after an upgrade): the database, the
broker, a live worker on each queue (asked over the broker with a short timeout) and the file
storage, each with a line in Chinese and English. `alive()` is `/healthz` (config/middleware.py,
for a load balancer): only what every page needs, the database and the cache; cheap, and its
answer says nothing about the internals.
"""

import time
import uuid
from dataclasses import asdict, dataclass

from celery import current_app
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection


@dataclass
class Check:
    name: str  # English, for --json and scripts
    label: str  # Chinese, for people
    ok: bool
    detail: str
    ms: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _timed(name: str, label: str, probe) -> Check:
    started = time.monotonic()
    try:
        ok, detail = probe()
    except Exception as error:  # noqa: BLE001  (a failed check is the answer, not a crash)
        ok, detail = False, f"{type(error).__name__}: {error}"[:300]
    return Check(name, label, ok, detail, round((time.monotonic() - started) * 1000))


def _database() -> tuple[bool, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return True, f"正常 ok ({connection.vendor})"


def _storage() -> tuple[bool, str]:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        readable = default_storage.open(name).read() == b"ok"
    finally:
        default_storage.delete(name)
    where = (
        f"S3 {default_storage.endpoint_url} bucket {default_storage.bucket_name}"
        if hasattr(default_storage, "bucket_name")
        else f"本地磁盘 local disk {default_storage.location}"
    )
    if not readable:
        return False, f"写入后读回内容不符 read back differs ({where})"
    return True, f"可写 writable ({where})"


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def _broker(timeout: float) -> tuple[bool, str]:
    if _eager():
        return True, "未使用：任务在进程内执行 not used (eager)"
    with current_app.connection_for_write(connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        return True, f"可连接 reachable ({conn.transport_cls})"


def queue_names() -> list[str]:
    """The queues this installation routes tasks to (settings.CELERY_TASK_QUEUES)."""
    return sorted(current_app.amqp.queues)


def _queues(timeout: float) -> list[Check]:
    """One check per queue: which live workers consume it (a worker that answers is alive)."""
    if _eager():
        return [Check("queues", "队列", True, "未使用：任务在进程内执行 not used (eager)")]
    started = time.monotonic()
    with current_app.connection_for_write(connect_timeout=timeout) as conn:
        replies = current_app.control.inspect(timeout=timeout, connection=conn).active_queues()
    ms = round((time.monotonic() - started) * 1000)
    consumers: dict[str, list[str]] = {}
    for worker, queues in (replies or {}).items():
        for queue in queues:
            consumers.setdefault(queue["name"], []).append(worker)
    found = []
    for name in queue_names():
        workers = sorted(consumers.get(name, []))
        if workers:
            detail = f"{len(workers)} 个工作进程 live worker(s): {', '.join(workers)}"
        else:
            detail = "无工作进程 no live worker"
        found.append(Check(f"queue:{name}", f"队列 {name}", bool(workers), detail, ms))
    return found


def checks(timeout: float = 1.0) -> list[Check]:
    found = [
        _timed("database", "数据库", _database),
        _timed("broker", "消息队列服务", lambda: _broker(timeout)),
    ]
    if found[-1].ok:
        found += _queues(timeout)
    else:
        found.append(Check("queues", "队列", False, "消息队列服务不可用，未检查 broker down"))
    found.append(_timed("storage", "文件存储", _storage))
    return found


def alive() -> bool:
    """What every page needs: the database and the cache (sessions, the login throttle)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        cache.get("healthz")
    except Exception:  # noqa: BLE001  (down is the answer)
        return False
    return True
