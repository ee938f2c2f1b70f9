import os
import signal
import subprocess
import sys
import uuid

import pytest
from django.db import connection

from tests.factories import DepartmentFactory, UserFactory, year_create


@pytest.fixture(autouse=True)
def _media_and_eager_celery(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # cached page parts and login counters are per test (a rolled-back test reuses its ids)
    from django.core.cache import cache

    cache.clear()
    # PBKDF2 costs ~0.7 s a password; tests check behaviour, not hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The Celery app caches its configuration: set eager mode on the app itself, so that unit
    # tests run tasks in-process even where CELERY_BROKER_URL points at a real broker (CI).
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def fiscal_year(db):
    return year_create(2025)


@pytest.fixture
def tree(db):
    """A 主管部门 with two 所属单位, and an unrelated department."""
    bureau = DepartmentFactory(code="100", name="市政务服务和大数据管理局")
    centre = DepartmentFactory(code="100001", name="市政府大数据中心", parent=bureau, kind="事业")
    hotline = DepartmentFactory(
        code="100002", name="市12345公共服务热线中心", parent=bureau, kind="事业"
    )
    other = DepartmentFactory(code="200", name="市教育局")
    return {"bureau": bureau, "centre": centre, "hotline": hotline, "other": other}


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


def pytest_runtest_setup(item):
    """A test marked system_packages(...) skips naming a missing Debian package, or fails where
    REQUIRE_PDF=1 (CI): see tests/system_packages.py."""
    marker = item.get_closest_marker("system_packages")
    if marker is None:
        return
    from tests.system_packages import refusal

    found = refusal(marker.args)
    if found is None:
        return
    action, message = found
    if action == "fail":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter):
    from tests.report import LINES

    if LINES:
        terminalreporter.section("安全与可靠性检查覆盖")
        for line in LINES:
            terminalreporter.write_line(line)


# ------------------------------------------------------------- real Celery workers


def need_worker_setup() -> None:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    problem = None
    if not broker.startswith("redis://"):
        problem = "CELERY_BROKER_URL 未指向 Redis"
    elif connection.vendor != "postgresql":
        problem = "需要 PostgreSQL 测试库（工作进程与测试共用数据库）"
    if problem:
        if os.environ.get("REQUIRE_WORKER") == "1":
            pytest.fail(f"REQUIRE_WORKER=1 但{problem}")
        pytest.skip(f"跳过真实 Celery 工作进程测试：{problem}")


@pytest.fixture
def workers(settings):
    """Start Celery worker processes (`workers(pool, queues=…, **environment)`) against the test
    database, on queues of this test's own: the site's queues (settings.QUEUES; a worker takes
    all of them unless given `queues`) under a prefix of this test (CELERY_QUEUE_PREFIX), so
    that the routes are the site's. All are stopped at the end. Needs Redis and PostgreSQL."""
    need_worker_setup()
    from config.celery import app

    prefix = f"test-{uuid.uuid4().hex[:8]}-"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_QUEUE_PREFIX": prefix,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    started: list[subprocess.Popen] = []

    def start(
        pool: str = "solo", queues: tuple[str, ...] = settings.QUEUES, **settings_env: str
    ) -> subprocess.Popen:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                f"--pool={pool}",
                "--concurrency=1",
                "-Q",
                ",".join(prefix + queue for queue in queues),
                # a name of its own: two workers of one host named alike answer as one
                f"--hostname={prefix}{len(started) + 1}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=WARNING",
            ],
            cwd=settings.BASE_DIR,
            env={**env, **settings_env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    start.prefix, start.env = prefix, env
    # this process sends to the same prefixed queues, by the site's own routes
    saved = {
        key: app.conf[key] for key in ("task_always_eager", "task_default_queue", "task_routes")
    }
    app.conf.update(
        task_always_eager=False,
        task_default_queue=prefix + settings.CELERY_TASK_DEFAULT_QUEUE,
        task_routes={
            task: {"queue": prefix + route["queue"]}
            for task, route in settings.CELERY_TASK_ROUTES.items()
        },
    )
    yield start
    app.conf.update(saved)
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ------------------------------------------------------------- a real S3 server (SeaweedFS)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """SeaweedFS's S3 gateway for the whole run (tests/s3server.py); stopped at the end."""
    from tests import s3server
    from tests.report import covered

    weed = s3server.need_weed()
    server = s3server.start(weed, tmp_path_factory.mktemp("weed"))
    covered(f"对象存储：SeaweedFS S3 服务启动并可写用时 {server.started_in:.1f} s")
    yield server
    s3server.stop(server)


@pytest.fixture
def s3(settings, s3_server):
    """The site's files in a new bucket of the S3 server, as STORAGE_BACKEND=s3 configures
    them; `s3.env` points a process (worker, gunicorn) at the same bucket."""
    from config.settings import s3_storage
    from tests.s3server import Bucket

    bucket = Bucket(s3_server)
    s3_server.client().create_bucket(Bucket=bucket.name)
    env = bucket.env
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            endpoint_url=env["S3_ENDPOINT_URL"],
            bucket=env["S3_BUCKET"],
            access_key=env["S3_ACCESS_KEY"],
            secret_key=env["S3_SECRET_KEY"],
            region=env["S3_REGION"],
            addressing_style="path",
            expire=60,
        ),
    }
    settings.STORAGE_BACKEND = "s3"
    return bucket
