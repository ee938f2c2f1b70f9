"""The Debian packages some tests need, each found the way the product uses it.

A test marked `@pytest.mark.system_packages("fonts-noto-cjk", …)` skips when one is missing,
naming the package and the command that installs it (`make test` as root installs them:
scripts/system-packages.sh); with REQUIRE_PDF=1 (CI) it fails instead. PRETEND_MISSING_PACKAGES
("fonts-noto-cjk libharfbuzz-subset0") makes packages look missing, to see the skips on a
machine that has them (the Debian packages cannot be removed from a shared machine to try).
"""

import functools
import os
import shutil
import subprocess


def _noto_cjk() -> bool:
    # what WeasyPrint will find through fontconfig
    if not shutil.which("fc-list"):
        return False
    families = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    ).stdout
    return "Noto Sans CJK" in families


def _harfbuzz_subset() -> bool:
    # the exact condition WeasyPrint checks before falling back to fontTools
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return harfbuzz_subset is not None and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def _poppler() -> bool:
    return all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdfinfo"))


# package → (what the tests use it for, how to find it)
CHECKS = {
    "fonts-noto-cjk": ("PDF 中的中文字体 Noto Sans CJK", _noto_cjk),
    "libharfbuzz-subset0": ("WeasyPrint 用 HarfBuzz-Subset 子集化字体", _harfbuzz_subset),
    "poppler-utils": ("pdftotext / pdffonts / pdfinfo 读取 PDF", _poppler),
}
# the tests that fail instead of skipping where this is set
REQUIRED_BY = "REQUIRE_PDF"


@functools.cache
def _present(package: str) -> bool:
    return CHECKS[package][1]()


def missing(package: str) -> bool:
    if package in os.environ.get("PRETEND_MISSING_PACKAGES", "").split():
        return True
    return not _present(package)


def refusal(packages: tuple[str, ...]) -> tuple[str, str] | None:
    """("skip" or "fail", the message naming the missing packages), or None when all are
    present."""
    absent = [p for p in packages if missing(p)]
    if not absent:
        return None
    names = " ".join(absent)
    missing_what = f"缺少系统软件包 {names}（{'；'.join(CHECKS[p][0] for p in absent)}）"
    install = f"sudo apt-get install -y {names}"
    if os.environ.get(REQUIRED_BY) == "1":
        return "fail", f"{REQUIRED_BY}=1 但{missing_what}；安装：{install}"
    return "skip", f"{missing_what}，跳过；安装：{install}（或以 root 运行 make test）"
