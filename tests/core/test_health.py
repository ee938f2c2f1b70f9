"""`/healthz` (for a load balancer) and `manage.py health` without a broker."""

import io

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test.utils import CaptureQueriesContext

from core import health


@pytest.mark.django_db
def test_healthz_says_ok_and_nothing_else(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "no-store" and not response.cookies
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_answers_a_balancer_probing_by_address_over_http(client, settings):
    """In production a probe has the backend's address as Host and speaks plain HTTP: neither
    ALLOWED_HOSTS nor the HTTPS redirect stands in its way, and it still needs no login."""
    settings.DEBUG, settings.SECURE_SSL_REDIRECT = False, True
    settings.ALLOWED_HOSTS = ["jxzp.example.gov.cn"]
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert (response.status_code, response.content) == (200, b"ok")
    # the rest of the site keeps both rules
    assert client.get("/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400
    assert client.get("/login/", HTTP_HOST="jxzp.example.gov.cn").status_code == 301


@pytest.mark.django_db
@pytest.mark.parametrize("part", ["database", "cache"])
def test_healthz_is_503_when_the_database_or_the_cache_is_down(client, monkeypatch, part):
    def down(*args, **kwargs):
        raise OperationalError("connection refused to 10.1.2.3:5432 user=jxzp")

    if part == "database":
        monkeypatch.setattr(health.connection, "cursor", down)
    else:
        monkeypatch.setattr(health.cache, "get", down)
    response = client.get("/healthz")
    # the failure's text (addresses, user names) is not shown
    assert (response.status_code, response.content) == (503, b"unavailable")


@pytest.mark.django_db
def test_health_command_without_a_broker_checks_the_database_and_storage(settings, tmp_path):
    """Eager mode (`make run`): no broker or worker to check; the rest is checked for real."""
    from config.celery import app

    assert app.conf.task_always_eager  # the autouse fixture's, as under `make run`
    out = io.StringIO()
    call_command("health", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("正常 OK   数据库 (database)")
    assert any("not used (eager)" in line for line in lines)
    assert lines[-1].startswith("全部正常 all ok")
    assert not list((tmp_path / "media" / "health").iterdir())  # the probe file is removed

    settings.MEDIA_ROOT = tmp_path / "missing"
    (tmp_path / "missing").write_text("a file, not a directory")
    out = io.StringIO()
    with pytest.raises(SystemExit) as stopped, CaptureQueriesContext(health.connection):
        call_command("health", "--json", stdout=out)
    assert stopped.value.code == 1
    assert '"name": "storage", "label": "文件存储", "ok": false' in out.getvalue()
