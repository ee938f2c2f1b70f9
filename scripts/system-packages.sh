#!/usr/bin/env bash
# The Debian packages the product and its tests need, in one place: used by `make run`,
# `make test` and CI (.ci/run).
#
#   scripts/system-packages.sh [--dry-run] [--require]
#
# Nothing missing: says nothing. Missing, and run as root where apt-get exists: installs them
# (apt-get update first, non-interactive). Otherwise: prints the exact command to run and goes
# on; the tests that need a missing package then skip, naming it.
#   --dry-run   print the apt-get commands instead of running them
#   --require   exit 1 when a package is still missing (CI)
# PRETEND_MISSING_PACKAGES="a b" treats those packages as missing (to test this script and the
# tests' skips on a machine that has them).
set -euo pipefail

# package — why
#   chromium             the browser tests (tests/e2e)
#   fonts-noto-cjk       the Chinese font embedded in every PDF
#   libharfbuzz-subset0  WeasyPrint subsets fonts with it; without it ~25x slower (fontTools)
#   libpango-1.0-0, libpangoft2-1.0-0  WeasyPrint's text layout (its documented Debian needs)
#   poppler-utils        pdftotext / pdffonts / pdfinfo: the PDF tests read the PDFs with them
PACKAGES=(chromium fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils)

dry_run=0
require=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=1 ;;
    --require) require=1 ;;
    *) echo "用法：$0 [--dry-run] [--require]" >&2; exit 2 ;;
  esac
done

pretend=" ${PRETEND_MISSING_PACKAGES:-} "
installed() {
  local status
  [[ "$pretend" != *" $1 "* ]] && status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) &&
    [ "$status" = "install ok installed" ]
}

missing=()
if command -v dpkg-query >/dev/null; then
  for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
  done
else
  echo "未找到 dpkg（不是 Debian 系统？）：请自行安装相应软件包：${PACKAGES[*]}" >&2
  [ "$require" = 1 ] && exit 1
  exit 0
fi
[ ${#missing[@]} -eq 0 ] && exit 0

commands=("apt-get update -qq" "apt-get install -y -qq ${missing[*]}")
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  if [ "$dry_run" = 1 ]; then
    echo "缺少系统软件包：${missing[*]}；将运行："
    printf '  DEBIAN_FRONTEND=noninteractive %s\n' "${commands[@]}"
    exit 0
  fi
  echo "安装系统软件包：${missing[*]}"
  if DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
    exit 0
  fi
  echo "安装失败：${missing[*]}（网络或软件源？）；需要它们的测试将跳过并写明软件包名。" >&2
  [ "$require" = 1 ] && exit 1
  exit 0
fi

cat >&2 <<EOF
缺少系统软件包：${missing[*]}
请以 root 身份安装（或以 root 运行 make）：
  sudo apt-get update && sudo apt-get install -y ${missing[*]}
在此之前，需要它们的测试会跳过，并写明缺少的软件包；PDF 导出可能缺字或变慢。
EOF
[ "$require" = 1 ] && exit 1
exit 0
