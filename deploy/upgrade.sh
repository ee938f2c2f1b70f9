#!/bin/sh
# Upgrade one machine after its new code is in place (git pull, or the release unpacked over
# /srv/jxzp/app): install the pinned requirements, check the settings, migrate (with --migrate:
# on ONE machine only, before the others restart), collect the static files, restart what runs
# here, then check health. Safe to run again.
#
#   sudo -u jxzp deploy/upgrade.sh --migrate     # the first web server
#   sudo -u jxzp deploy/upgrade.sh               # every other machine, afterwards
#
# ENV_FILE (default /etc/jxzp/jxzp.env) is read if present; PYTHON and SYSTEMCTL may be
# overridden (SYSTEMCTL=: skips the restarts, e.g. in tests/test_deploy.py).
set -eu
cd "$(dirname "$0")/.."

ENV_FILE=${ENV_FILE:-/etc/jxzp/jxzp.env}
PYTHON=${PYTHON:-.venv/bin/python}
SYSTEMCTL=${SYSTEMCTL:-sudo systemctl}
MIGRATE=0
INSTALL=1
for arg in "$@"; do
    case $arg in
        --migrate) MIGRATE=1 ;;
        --no-install) INSTALL=0 ;;
        *) echo "用法 usage: $0 [--migrate] [--no-install]" >&2; exit 2 ;;
    esac
done
if [ -r "$ENV_FILE" ]; then
    set -a
    . "$ENV_FILE"
    set +a
fi

step() { printf '\n== %s\n' "$*"; }

if [ "$INSTALL" = 1 ]; then
    step "安装依赖 requirements"
    "$PYTHON" -m pip install --disable-pip-version-check -q -r requirements.txt
fi
step "检查配置 check --deploy"
"$PYTHON" manage.py check --deploy --fail-level WARNING
if [ "$MIGRATE" = 1 ]; then
    step "迁移数据库 migrate"
    "$PYTHON" manage.py migrate --noinput
else
    step "待迁移 pending migrations (run with --migrate on one machine)"
    "$PYTHON" manage.py migrate --check --noinput >/dev/null || {
        echo "数据库尚未迁移：先在一台服务器上运行 $0 --migrate" >&2
        exit 1
    }
fi
step "收集静态文件 collectstatic"
"$PYTHON" manage.py collectstatic --noinput --verbosity 0

step "重启服务 restart"
for unit in jxzp-web jxzp-worker@imports jxzp-worker@exports jxzp-worker@default jxzp-beat; do
    if $SYSTEMCTL is-enabled --quiet "$unit" 2>/dev/null; then
        if [ "$unit" = jxzp-web ]; then
            $SYSTEMCTL reload "$unit"  # gunicorn: new workers, no dropped request
        else
            $SYSTEMCTL restart "$unit"  # a worker finishes its task first (warm shutdown)
        fi
        echo "$unit"
    fi
done

step "健康检查 health"
"$PYTHON" manage.py health --timeout 3 || echo "（某项异常：见上；工作进程可能仍在启动）" >&2
