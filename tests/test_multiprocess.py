"""The site on several machines, as processes on this one (issue 18): two gunicorn servers (A, B)
from deploy/gunicorn.conf.py and two Celery workers, each with a media directory of its own that
does not exist (nothing may go through a local disk), sharing PostgreSQL, Redis and the S3 server
(SeaweedFS, tests/s3server.py). Worker 1 takes only the imports queue, worker 2 only the exports
queue: an export requested on A is built by worker 2 and downloaded from B; an import uploaded to
B is checked by worker 1 and confirmed on A. The session is in the database: a login on A is good
on B, as behind a balancer.

Needs PostgreSQL, Redis and `weed` (skips naming what is missing; fails with REQUIRE_WORKER=1 or
REQUIRE_S3=1)."""

import http.cookiejar
import io
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from budgets.models import Project
from evaluations.models import SelfEvaluation
from imports.models import ImportJob
from reporting.models import ExportJob
from tests.imports.conftest import xlsx
from tests.report import covered
from tests.s3server import free_ports

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mp-test-2026"


class Browser:
    """One user's cookies (session, CSRF) against any of the servers."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def request(self, url, data: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if data is not None:
            headers["X-CSRFToken"] = self.csrf()
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, url, error.headers, error.read()

    def login(self, base: str, username: str) -> None:
        self.request(f"{base}/login/")
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD}).encode()
        status, url, _, body = self.request(
            f"{base}/login/", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 200 and not url.endswith("/login/"), body.decode()[:2000]

    def post_form(self, url, fields: dict, files: dict | None = None, **headers):
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content) in (files or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(
            url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}", **headers}
        )


def start_server(env: dict, port: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    return subprocess.Popen(
        [str(gunicorn), "-c", str(Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py")],
        cwd="/",
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn at {base} did not answer (exit {server.poll()})")


def wait_for(job, states: set[str], seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in states:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job.pk} still {job.state} after {seconds}s")


@pytest.fixture
def site(s3, workers, settings):
    """Servers A and B and workers 1 (imports) and 2 (exports), all on the test database, the
    test's Redis queues and its bucket; the demo data, with passwords the servers can check."""
    call_command("load_demo", stdout=io.StringIO())
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    for user in get_user_model().objects.filter(username__in=["admin", "xn_clerk"]):
        user.set_password(PASSWORD)
        user.save()
    env = {
        **workers.env,
        **s3.env,
        "SECRET_KEY": "multi-process-test-" + "k" * 40,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    env.pop("DJANGO_ENV", None)
    started = time.monotonic()
    worker_1 = workers(queues=("imports",), **{**env, "MEDIA_ROOT": "/nonexistent/worker-1"})
    worker_2 = workers(queues=("exports",), **{**env, "MEDIA_ROOT": "/nonexistent/worker-2"})
    ports = free_ports(2)
    servers = {
        name: start_server({**env, "MEDIA_ROOT": f"/nonexistent/server-{name}"}, port)
        for name, port in zip("AB", ports, strict=True)
    }
    bases = {name: f"http://127.0.0.1:{port}" for name, port in zip("AB", ports, strict=True)}
    try:
        for name, server in servers.items():
            wait_up(bases[name], server)
        yield {
            "A": bases["A"],
            "B": bases["B"],
            "workers": (worker_1, worker_2),
            "started": time.monotonic() - started,
        }
    finally:
        for server in servers.values():
            server.terminate()
        for server in servers.values():
            server.wait(timeout=30)


def test_export_on_a_built_by_worker_2_downloaded_from_b(site, s3):
    clerk = Browser()
    clerk.login(site["A"], "xn_clerk")
    evaluation = SelfEvaluation.objects.get(project__code="2021-101-001")
    started = time.monotonic()
    status, _, _, body = clerk.post_form(
        f"{site['A']}/exports/",
        {
            "year": "2021",
            "kind": "project-self-evaluation",
            "department": evaluation.department_id,
            "project": evaluation.project_id,
            "format": "xlsx",
        },
        Accept="application/json",
    )
    assert status == 200, body[:2000]
    job = wait_for(ExportJob.objects.get(), {"done", "failed"})
    assert job.state == "done", job.error
    built = time.monotonic() - started
    # B, the other server, with the session of A: the status and the file, from the bucket
    status, _, _, body = clerk.request(f"{site['B']}{json.loads(body)['status']}")
    download = json.loads(body)["download"]
    status, _, headers, content = clerk.request(f"{site['B']}{download}")
    assert status == 200 and content == s3.get(job.file.name) and content.startswith(b"PK")
    assert "attachment" in headers["Content-Disposition"]
    covered(
        f"多进程：两台 gunicorn + 两个工作进程共用 PostgreSQL、Redis、S3"
        f"（启动 {site['started']:.1f} s）；"
        f"A 上申请导出，工作进程 2 生成（{built:.1f} s），B 上下载"
    )


def test_import_uploaded_to_b_checked_by_worker_1_confirmed_on_a(site, s3):
    admin = Browser()
    admin.login(site["B"], "admin")
    department = evaluation_department()
    headers = ["年度", "单位编码", "项目编码", "项目名称", "全年预算数·本年财政拨款"]
    data = xlsx(headers, [[2021, department.code, "MP-1", "多进程测试项目", 12]])
    status, url, _, body = admin.post_form(
        f"{site['B']}/imports/", {"kind": "projects"}, {"file": ("项目.xlsx", data)}
    )
    assert status == 200, body.decode()[:2000]
    job = ImportJob.objects.get(original_name="项目.xlsx")  # the demo's own imports aside
    assert url.endswith(f"/imports/{job.pk}/") and job.file.name in s3.keys("imports/")
    job = wait_for(job, {"ready", "invalid", "failed"})
    assert job.state == "ready", (job.message, job.errors)
    status, _, _, body = admin.request(f"{site['A']}/imports/{job.pk}/")
    assert status == 200 and "确认导入" in body.decode()
    status, _, _, body = admin.post_form(f"{site['A']}/imports/{job.pk}/confirm/", {})
    assert status == 200, body.decode()[:2000]
    job = wait_for(job, {"done", "failed"})
    assert job.state == "done", job.message
    assert Project.objects.filter(code="MP-1", name="多进程测试项目").count() == 1
    covered("多进程：导入上传到 B，工作进程 1 从 S3 读取并检查，A 上确认，工作进程 1 写入")


def evaluation_department():
    return SelfEvaluation.objects.get(project__code="2021-101-001").department
