"""A fresh machine: `make run` / `make test` install the Debian packages
(scripts/system-packages.sh) when run as root, else print the command; the tests needing a
missing package skip naming it, and fail instead with REQUIRE_PDF=1 (CI).

The packages cannot be removed from a shared machine to try this, so absence is simulated:
PRETEND_MISSING_PACKAGES for the tests' detection and for the script, a non-root user (nobody)
for the script's "not root" branch, --dry-run for its root branch (nothing is installed here).
"""

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import system_packages
from tests.report import covered

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "system-packages.sh"
HARFBUZZ_TEST = "tests/reporting/test_tables_pdf.py::test_harfbuzz_subset_library_is_loaded"


def _env(**extra) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("REQUIRE_PDF", "PRETEND_MISSING_PACKAGES")
    }
    return {**env, **extra}


# --------------------------------------------------------------------------------------------
# The tests' skip logic
# --------------------------------------------------------------------------------------------


def test_a_missing_package_skips_naming_it_and_its_command(monkeypatch):
    monkeypatch.delenv("REQUIRE_PDF", raising=False)
    monkeypatch.setenv("PRETEND_MISSING_PACKAGES", "libharfbuzz-subset0")
    action, message = system_packages.refusal(("poppler-utils", "libharfbuzz-subset0"))
    assert action == "skip"
    assert "缺少系统软件包 libharfbuzz-subset0" in message
    assert "sudo apt-get install -y libharfbuzz-subset0" in message
    assert "poppler-utils" not in message  # only what is missing is named


def test_require_pdf_turns_the_skip_into_a_failure(monkeypatch):
    monkeypatch.setenv("PRETEND_MISSING_PACKAGES", "fonts-noto-cjk")
    monkeypatch.setenv("REQUIRE_PDF", "1")
    action, message = system_packages.refusal(("fonts-noto-cjk",))
    assert action == "fail" and message.startswith("REQUIRE_PDF=1 但缺少系统软件包 fonts-noto-cjk")


def test_present_packages_neither_skip_nor_fail(monkeypatch):
    monkeypatch.delenv("PRETEND_MISSING_PACKAGES", raising=False)
    monkeypatch.setattr(system_packages, "_present", lambda package: True)
    assert system_packages.refusal(tuple(system_packages.CHECKS)) is None


def test_through_pytest_only_the_test_needing_the_package_skips():
    """A real run of two PDF tests with HarfBuzz-Subset looking missing: the one that needs it
    skips naming it, the other still runs; with REQUIRE_PDF=1 the first fails instead."""
    other = "tests/reporting/test_tables_pdf.py::test_the_fallback_guard_would_catch_the_fallback"
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:randomly", HARFBUZZ_TEST]
    run = subprocess.run(
        [*command, other],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(PRETEND_MISSING_PACKAGES="libharfbuzz-subset0"),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 1 skipped" in run.stdout
    assert "缺少系统软件包 libharfbuzz-subset0" in run.stdout
    run = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(PRETEND_MISSING_PACKAGES="libharfbuzz-subset0", REQUIRE_PDF="1"),
    )
    assert (
        run.returncode != 0 and "REQUIRE_PDF=1 但缺少系统软件包 libharfbuzz-subset0" in run.stdout
    )


# --------------------------------------------------------------------------------------------
# The script used by make and CI
# --------------------------------------------------------------------------------------------

needs_dpkg = pytest.mark.skipif(
    not shutil.which("dpkg-query"), reason="不是 Debian 系统（无 dpkg-query），脚本只打印提示"
)


def _as_non_root(args: list[str], **env) -> subprocess.CompletedProcess:
    """The script as a user who may not install packages: the current user when not root, else
    `nobody` (the script is read from stdin, so the work tree's permissions do not matter)."""
    if os.geteuid() != 0:
        prefix = []
    elif shutil.which("runuser") and "nobody" in {p.pw_name for p in pwd.getpwall()}:
        prefix = ["runuser", "-u", "nobody", "--"]
    else:
        pytest.skip(
            "以 root 运行且没有可用的非 root 用户（nobody / runuser），无法检查非 root 分支"
        )
    return subprocess.run(
        [*prefix, "bash", "-s", "--", *args],
        input=SCRIPT.read_text(),
        capture_output=True,
        text=True,
        env=_env(**env),
    )


@needs_dpkg
def test_script_not_root_prints_the_exact_command_and_goes_on():
    run = _as_non_root([], PRETEND_MISSING_PACKAGES="fonts-noto-cjk libharfbuzz-subset0")
    assert run.returncode == 0, run.stderr
    assert "缺少系统软件包：fonts-noto-cjk libharfbuzz-subset0" in run.stderr
    assert (
        "sudo apt-get update && sudo apt-get install -y fonts-noto-cjk libharfbuzz-subset0"
        in run.stderr
    )
    # CI's --require: a package still missing fails the run
    run = _as_non_root(["--require"], PRETEND_MISSING_PACKAGES="poppler-utils")
    assert run.returncode == 1 and "poppler-utils" in run.stderr


@needs_dpkg
@pytest.mark.skipif(os.geteuid() != 0, reason="root 分支只能以 root 检查")
def test_script_as_root_would_update_then_install_non_interactively():
    run = subprocess.run(
        ["bash", str(SCRIPT), "--dry-run"],
        capture_output=True,
        text=True,
        env=_env(PRETEND_MISSING_PACKAGES="fonts-noto-cjk poppler-utils"),
    )
    assert run.returncode == 0, run.stderr
    lines = [line.strip() for line in run.stdout.splitlines()[1:]]
    assert lines == [
        "DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk poppler-utils",
    ]


def test_make_and_ci_use_the_script():
    makefile = (ROOT / "Makefile").read_text()
    assert "run: system-packages" in makefile and "test: system-packages" in makefile
    assert "scripts/system-packages.sh" in makefile
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/system-packages.sh --require" in ci and "export REQUIRE_PDF=1" in ci
    covered(
        "新机器：make run / make test 以 root 运行时安装缺少的 Debian 软件包，否则打印安装命令；"
        "缺少时只有需要它的测试跳过并写明包名，CI（REQUIRE_PDF=1）则失败"
    )
