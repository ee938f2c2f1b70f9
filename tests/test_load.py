"""`make load` kept working: bench/load.py at a tiny scale for a few seconds (city, gunicorn, a
Celery worker, locust), the figures it writes, its section of bench/RESULTS.md, and its refusal
of a host off the machine. No time is asserted (benchmarks print figures).

The run needs locust, a PostgreSQL server and Redis: it skips naming what is missing (fails
instead with REQUIRE_WORKER=1, as CI sets)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.s3server import free_ports

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402


def need_locust() -> None:
    if importlib.util.find_spec("locust") is None:
        reason = "未安装 locust（requirements.txt 中已固定版本）"
        if os.environ.get("REQUIRE_WORKER") == "1":
            pytest.fail(f"REQUIRE_WORKER=1 但{reason}")
        pytest.skip(f"跳过 make load 测试：{reason}")


def need_servers() -> str:
    """The PostgreSQL server's URL (a database of this test's own on it)."""
    url = os.environ.get("DATABASE_URL", "")
    problem = None
    if not url.startswith(("postgres://", "postgresql://")):
        problem = "DATABASE_URL 未指向 PostgreSQL（make load 只在 PostgreSQL 上运行）"
    elif not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        problem = "CELERY_BROKER_URL 未指向 Redis（导出需要真实的 Celery 工作进程）"
    if problem:
        if os.environ.get("REQUIRE_WORKER") == "1":
            pytest.fail(f"REQUIRE_WORKER=1 但{problem}")
        pytest.skip(f"跳过 make load 测试：{problem}")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + parts.path.strip("/") + "loadtest"))


def test_make_load_at_a_tiny_scale(tmp_path):
    need_locust()
    database = need_servers()
    import psycopg

    admin = urlsplit(database)
    name = admin.path.strip("/")
    with psycopg.connect(
        urlunsplit(admin._replace(scheme="postgresql", path="/postgres")), autocommit=True
    ) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(f'CREATE DATABASE "{name}"')
    results = tmp_path / "RESULTS.md"
    results.write_text("# make bench\n\n| figure |\n|---|\n| kept |\n", encoding="utf-8")
    figures = tmp_path / "figures.json"
    (port,) = free_ports(1)
    command = [sys.executable, str(ROOT / "bench" / "load.py"), "--scale", "0.02"]
    command += ["--users", "4", "--time", "8", "--page-users", "2", "--page-time", "2"]
    command += ["--max-requests", "400", "--port", str(port)]
    command += ["--workers", "2", "--output", str(results), "--json", str(figures)]
    env = dict(os.environ, LOAD_DATABASE_URL=database)
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    data = json.loads(figures.read_text())
    for _, name in load.PAGES:  # each page alone, beside the floor, without an error
        page = data["pages"][name]
        assert page["requests"] > 0 and page["failures"] == 0, (name, page)
    day = data["day"]
    # which of the day's requests an 8-second random mix reaches depends on the machine's speed:
    # the day ran, and whatever it requested was served without an error
    assert sum(f["requests"] for f in day.values()) > 0, day
    assert sum(f["failures"] for f in day.values()) == 0, {n: f["errors"] for n, f in day.items()}
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# make bench") and "| kept |" in text  # make bench's part kept
    assert text.count(load.BEGIN) == 1 and "## make load" in text
    assert "authenticated redirect (floor)" in text and "cost vs floor" in text


def test_results_section_replaced_in_place(tmp_path):
    results = tmp_path / "RESULTS.md"
    load.write_section(results, "## make load\n\nfirst\n")
    results.write_text(results.read_text() + "\n## after\n", encoding="utf-8")
    results.write_text("# make bench\n\n" + results.read_text(), encoding="utf-8")
    load.write_section(results, "## make load\n\nsecond\n")
    text = results.read_text()
    assert text.startswith("# make bench") and text.rstrip().endswith("## after")
    assert "second" in text and "first" not in text and text.count(load.END) == 1


def test_locust_refuses_a_host_off_the_machine(tmp_path):
    need_locust()
    plan = tmp_path / "plan.json"
    entry = {"session": "x", "forms": [1], "departments": [1]}
    plan.write_text(json.dumps({"year": 2031, "clerks": [entry], "reviewers": [entry]}))
    command = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py")]
    command += ["--headless", "--host", "http://192.0.2.1:9", "-u", "1", "-t", "2s", "FloorOnly"]
    run = subprocess.run(
        command,
        cwd=ROOT,
        env=dict(os.environ, LOAD_PLAN=str(plan)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0 and "loopback only" in run.stdout + run.stderr
