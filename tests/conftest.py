import pytest

from tests.factories import DepartmentFactory, UserFactory, year_create


@pytest.fixture(autouse=True)
def _media_and_eager_celery(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
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
