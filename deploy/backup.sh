#!/bin/sh
# Nightly backup of the database and the files (cron or a systemd timer, as the jxzp user):
#   deploy/backup.sh /backup/jxzp
# keeps KEEP_DAYS (14) days. Restore: README.md, “部署（多台服务器）” → 备份与恢复.
set -eu
cd "$(dirname "$0")/.."
TARGET=${1:?用法 usage: $0 BACKUP_DIR}
ENV_FILE=${ENV_FILE:-/etc/jxzp/jxzp.env}
KEEP_DAYS=${KEEP_DAYS:-14}
if [ -r "$ENV_FILE" ]; then
    set -a
    . "$ENV_FILE"
    set +a
fi
STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$TARGET"

# PostgreSQL: the custom format (compressed; pg_restore can restore one table, or in parallel).
# A consistent snapshot, taken while the site runs.
pg_dump --format=custom --no-owner --file="$TARGET/jxzp-$STAMP.dump" "${DATABASE_URL:?}"

# Files: uploads, evidence and exports under MEDIA_ROOT (exports can be left out: they are
# rebuilt on request; evidence and import uploads cannot).
# With object storage (STORAGE_BACKEND=s3) the files are in the bucket: back it up with the
# store's own tools (README “文件存储”), nothing to tar here.
if [ "${STORAGE_BACKEND:-local}" = s3 ]; then
    echo "文件在对象存储桶 ${S3_BUCKET:-?} 中：请用对象存储自身的工具备份 (mc mirror / rclone sync)" >&2
    find "$TARGET" -name 'jxzp-*.dump' -mtime +"$KEEP_DAYS" -delete
    echo "$TARGET/jxzp-$STAMP.dump"
    exit 0
fi
MEDIA=${MEDIA_ROOT:-var/media}
tar --create --gzip --file="$TARGET/media-$STAMP.tar.gz" --directory="$MEDIA" \
    --exclude=./exports --exclude=./health .

find "$TARGET" -name 'jxzp-*.dump' -mtime +"$KEEP_DAYS" -delete
find "$TARGET" -name 'media-*.tar.gz' -mtime +"$KEEP_DAYS" -delete
echo "$TARGET/jxzp-$STAMP.dump $TARGET/media-$STAMP.tar.gz"
