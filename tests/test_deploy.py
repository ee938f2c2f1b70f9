"""The deployment (deploy/, README “部署（多台服务器）”): the list of environment variables
cannot go stale, nginx's upload limit agrees with the app's, the proxy's client address is taken
only from the proxy; and on PostgreSQL, for real: deploy/upgrade.sh with production settings,
gunicorn from deploy/gunicorn.conf.py serving /healthz, the login page and a static file, and
deploy/backup.sh with a restore. Those skip without PostgreSQL (a failure with
REQUIRE_POSTGRES=1)."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from budgets import login
from tests.factories import PASSWORD, UserFactory
from tests.report import covered

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"


def read_names(path: Path, pattern: str) -> set[str]:
    return set(re.findall(pattern, path.read_text()))


def test_every_environment_variable_is_listed_in_the_readme():
    read = read_names(ROOT / "config" / "settings.py", r'\benv(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"')
    read |= read_names(DEPLOY / "gunicorn.conf.py", r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]*)"')
    assert {"DATABASE_URL", "CACHE_URL", "SECRET_KEY", "WEB_CONCURRENCY"} <= read
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## 部署（多台服务器）", 1)[1].split("\n## ", 1)[0]
    table = section.split("**Every environment variable**", 1)[1]
    listed = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            listed |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1]))
    assert listed == read, f"missing: {sorted(read - listed)}; stale: {sorted(listed - read)}"


def test_nginx_takes_uploads_just_above_the_apps_limit():
    conf = (DEPLOY / "nginx" / "jxzp.conf").read_text()
    size = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1)) * 1024 * 1024
    largest = max(settings.IMPORT_MAX_BYTES, settings.EVIDENCE_MAX_BYTES)
    # above: a file slightly too large reaches the app and its Chinese message; not far above
    assert largest < size <= largest + 2 * 1024 * 1024
    assert "error_page 413" in conf and "X-Real-IP $remote_addr" in conf


def test_systemd_units_run_every_queue_with_the_one_environment_file():
    units = {p.name: p.read_text() for p in (DEPLOY / "systemd").glob("*.service")}
    assert set(units) == {"jxzp-web.service", "jxzp-worker@.service", "jxzp-beat.service"}
    for text in units.values():
        assert "EnvironmentFile=/etc/jxzp/jxzp.env" in text
    assert "gunicorn -c deploy/gunicorn.conf.py" in units["jxzp-web.service"]
    worker = units["jxzp-worker@.service"]
    assert "-Q ${CELERY_QUEUE_PREFIX}%i" in worker and "-n %i@%H" in worker
    upgrade = (DEPLOY / "upgrade.sh").read_text()
    for queue in settings.QUEUES:
        assert f"jxzp-worker@{queue}" in upgrade and f"jxzp-worker@{queue}" in README()


def README() -> str:
    return (ROOT / "README.md").read_text()


@pytest.mark.django_db
def test_the_client_address_comes_from_a_trusted_proxy_only(client, settings):
    """Behind nginx: five wrong passwords from one client lock that client, not the user's
    other clients behind the same proxy; without TRUSTED_PROXIES the header is ignored."""
    from django.core.cache import cache

    cache.clear()
    UserFactory(username="zhangsan")

    def attempt(real_ip: str, password: str = "wrong", remote: str = "127.0.0.1"):
        return client.post(
            "/login/",
            {"username": "zhangsan", "password": password},
            REMOTE_ADDR=remote,
            HTTP_X_REAL_IP=real_ip,
        )

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt("203.0.113.5")
    assert login.locked_message() in attempt("203.0.113.5").content.decode()
    assert attempt("198.51.100.7", PASSWORD).status_code == 302  # another client signs in
    client.logout()
    # not from the proxy: the header is the client's own claim and is ignored
    assert login.locked_message() in attempt("198.51.100.9", remote="203.0.113.5").content.decode()
    # nonsense in the header: the proxy's own address stays
    cache.clear()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt("not-an-address")
    assert login.locked_message() in attempt("", PASSWORD).content.decode()
    # no trusted proxy (the default): every client behind it is one address
    cache.clear()
    settings.TRUSTED_PROXIES = []
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt("203.0.113.5")
    assert login.locked_message() in attempt("198.51.100.7", PASSWORD).content.decode()


# --------------------------------------------------------------------------------------------
# For real, on PostgreSQL
# --------------------------------------------------------------------------------------------


def need_postgres() -> None:
    if connection.vendor == "postgresql":
        return
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail("REQUIRE_POSTGRES=1 但数据库不是 PostgreSQL（部署测试）", pytrace=False)
    pytest.skip("部署测试需要 PostgreSQL：设置 DATABASE_URL=postgres://… 后运行")


def database_url(name: str | None = None) -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{name or db['NAME']}"
    )


@pytest.fixture
def production_env(tmp_path):
    need_postgres()
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "CELERY_BROKER_URL")
    return {
        **{k: v for k, v in os.environ.items() if k in keep},
        "ENV_FILE": "/dev/null",
        "DJANGO_ENV": "production",
        "SECRET_KEY": "deploy-test-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,jxzp.example.gov.cn",
        "DATABASE_URL": database_url(),
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "TRUSTED_PROXIES": "127.0.0.1",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, **headers: str) -> tuple[int, dict, bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.django_db(transaction=True)
def test_upgrade_then_gunicorn_serves_healthz_login_and_static(production_env):
    started = time.monotonic()
    upgrade = subprocess.run(
        [str(DEPLOY / "upgrade.sh"), "--migrate", "--no-install"],
        cwd=ROOT,
        env={**production_env, "PYTHON": sys.executable, "SYSTEMCTL": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert upgrade.returncode == 0, upgrade.stdout[-3000:] + upgrade.stderr[-3000:]
    assert "== 迁移数据库 migrate" in upgrade.stdout and "== 健康检查 health" in upgrade.stdout
    assert "正常 OK   数据库 (database)" in upgrade.stdout
    assert (Path(production_env["STATIC_ROOT"]) / "staticfiles.json").exists()
    upgraded = time.monotonic() - started

    port = free_port()
    env = {**production_env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "-c", str(DEPLOY / "gunicorn.conf.py")],
        cwd="/",  # the config's chdir finds the project
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, _, body = fetch(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200 and body == b"ok", server.poll()
        ready = time.monotonic() - started - upgraded

        # production: plain HTTP is sent to HTTPS, except the balancer's probe above
        status, headers, _ = fetch(f"{base}/login/")
        assert status == 301 and headers["Location"].startswith("https://")
        # through nginx (X-Forwarded-Proto from an allowed address): the login page itself
        status, headers, body = fetch(f"{base}/login/", **{"X-Forwarded-Proto": "https"})
        assert status == 200 and "登录" in body.decode(), body[:500]
        assert "Strict-Transport-Security" in headers
        css = re.search(r'href="(/static/[^"]+\.css)"', body.decode()).group(1)
        assert re.search(r"\.[0-9a-f]{12}\.css$", css), css  # the manifest's hashed name
        status, headers, _ = fetch(f"{base}{css}", **{"X-Forwarded-Proto": "https"})
        assert status == 200 and "immutable" in headers.get("Cache-Control", "")
        # a host not allowed is refused, the probe by address still answered
        status, _, _ = fetch(
            f"{base}/login/", Host="evil.example", **{"X-Forwarded-Proto": "https"}
        )
        assert status == 400
        assert fetch(f"{base}/healthz", Host="10.0.0.7")[0] == 200
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    # the access log: one line a request, with the time taken
    assert re.search(r'"GET /healthz HTTP/1.1" 200 2 .* \d+ms', output), output[-2000:]
    covered(
        f"部署：upgrade.sh（check --deploy、migrate、collectstatic、health）{upgraded:.1f} s；"
        f"gunicorn（deploy/gunicorn.conf.py，生产设置）{ready:.1f} s 后"
        " /healthz、登录页、静态文件正常"
    )


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore(production_env, tmp_path, admin_user):
    media = Path(production_env["MEDIA_ROOT"])
    (media / "evidence").mkdir(parents=True)
    (media / "evidence" / "a.pdf").write_bytes(b"%PDF-1.4 evidence")
    (media / "exports").mkdir()
    (media / "exports" / "1-1.zip").write_bytes(b"rebuilt on request")
    backup = subprocess.run(
        [str(DEPLOY / "backup.sh"), str(tmp_path / "backup")],
        cwd=ROOT,
        env=production_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert backup.returncode == 0, backup.stderr[-3000:]
    dump, archive = backup.stdout.split()

    restored = f"{connection.settings_dict['NAME']}_restore"
    admin = {**production_env, "PGHOST": "127.0.0.1", "PGUSER": connection.settings_dict["USER"]}
    subprocess.run(["dropdb", "--if-exists", restored], env=admin, check=True)
    subprocess.run(["createdb", restored], env=admin, check=True)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={database_url(restored)}", dump],
            env=admin,
            check=True,
            capture_output=True,
        )
        count = subprocess.run(
            ["psql", "-tA", database_url(restored), "-c", "select username from auth_user"],
            env=admin,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        assert count == [admin_user.username]
    finally:
        subprocess.run(["dropdb", "--if-exists", restored], env=admin, check=True)
    listing = subprocess.run(["tar", "-tzf", archive], capture_output=True, text=True).stdout
    assert "./evidence/a.pdf" in listing and "exports" not in listing
    covered("部署：backup.sh（pg_dump -Fc + 文件）后 pg_restore 到新库，数据与佐证材料齐全")


@pytest.mark.django_db(transaction=True)
def test_backup_with_object_storage_dumps_the_database_and_names_the_bucket(
    production_env, tmp_path
):
    """With STORAGE_BACKEND=s3 the files are in the bucket: backup.sh dumps the database and
    says to back up the bucket with the store's tools, instead of an empty tar."""
    env = {**production_env, "STORAGE_BACKEND": "s3", "S3_BUCKET": "jxzp"}
    backup = subprocess.run(
        [str(DEPLOY / "backup.sh"), str(tmp_path / "backup")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert backup.returncode == 0, backup.stderr[-3000:]
    (dump,) = backup.stdout.split()
    assert Path(dump).stat().st_size > 0 and dump.endswith(".dump")
    assert "jxzp" in backup.stderr and "mc mirror" in backup.stderr
    assert not list((tmp_path / "backup").glob("media-*"))
