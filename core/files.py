"""Stored files (exports, evidence, import uploads) through Django's storage API only: the same
code for the local disk (MEDIA_ROOT) and for object storage (STORAGE_BACKEND=s3, README
“文件存储”). No paths: a file is read with `open`, removed with `delete`.

A download is permission-checked by its view first; then `download` streams it through the app
or, with object storage and S3_REDIRECT_DOWNLOADS, redirects to a signed URL of the store that
expires after S3_URL_EXPIRES seconds and names the file (Chinese names included) for the browser.
"""

from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.utils.http import content_disposition_header

from core.errors import UserError

GONE = "文件已不存在（可能已过期或被删除），请重新导出或上传。"


class StorageUnavailable(UserError):
    """The file store refused or did not answer; nothing was saved."""


@contextmanager
def saving():
    """Around a save to the storage inside the transaction that records it: a store that is down
    or refuses (S3 unreachable, wrong key, disk full) rolls the transaction back and tells the
    user, instead of a 500."""
    try:
        yield
    except (BotoCoreError, ClientError, OSError) as error:
        raise StorageUnavailable(
            "文件存储暂时不可用，文件未保存，请稍后重试；如持续出现请联系系统管理员。"
        ) from error


def in_object_storage(field_file: FieldFile) -> bool:
    return hasattr(field_file.storage, "bucket_name")


def download(field_file: FieldFile, filename: str):
    """The response that hands `field_file` to the browser as `filename` (an attachment)."""
    if not field_file:
        raise Http404(GONE)
    if settings.S3_REDIRECT_DOWNLOADS and in_object_storage(field_file):
        url = field_file.storage.url(
            field_file.name,
            parameters={"ResponseContentDisposition": content_disposition_header(True, filename)},
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "no-store"
        return response
    try:
        handle = field_file.storage.open(field_file.name, "rb")
    except FileNotFoundError:
        raise Http404(GONE) from None
    return FileResponse(handle, as_attachment=True, filename=filename)


class TooLarge(Exception):
    """The stored file is larger than the caller's limit."""


def read_limited(field_file: FieldFile, limit: int) -> bytes:
    """The whole stored file as bytes, refusing one larger than `limit` (e.g. replaced in the
    store behind the app's back) before reading it: its size is the store's (a HEAD on S3). On
    S3 the object is then fetched into a temporary file (in memory up to 5 MB)."""
    with field_file.storage.open(field_file.name, "rb") as handle:
        if handle.size > limit:
            raise TooLarge(field_file.name)
        return handle.read(limit + 1)
