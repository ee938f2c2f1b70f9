"""Evidence files (佐证材料) of indicator results: size-limited, type checked by content. Added
and removed only while the form is editable, checked under a lock on the evaluation's row."""

from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from core import files
from core.audit import audit_record

from .. import workflow
from ..models import Evidence, IndicatorResult, SelfEvaluation
from .results import editing_refusal

# extension → accepted leading bytes. Office files are ZIP containers (or OLE for old formats).
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".ofd": (b"PK\x03\x04",),
}
MAX_FILES_PER_LINE = 10


def evidence_problem(upload: UploadedFile) -> str | None:
    """Why this file is refused (Chinese), or None."""
    limit = settings.EVIDENCE_MAX_BYTES
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in SIGNATURES:
        return "只能上传 PDF、图片（JPG/PNG）、Word、Excel 或 OFD 文件。"
    if upload.size == 0:
        return "文件为空。"
    if upload.size > limit:
        return (
            f"文件过大（{upload.size / 1048576:.1f} MB），单个文件不能超过 {limit // 1048576} MB。"
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in SIGNATURES[suffix]):
        return f"文件内容与扩展名（{suffix}）不符，请检查后重新上传。"
    return None


def evidence_add(*, result: IndicatorResult, user, upload: UploadedFile) -> Evidence:
    evaluation = result.evaluation
    refusal = editing_refusal(user, evaluation)
    if refusal:
        raise workflow.WorkflowError(refusal)
    problem = evidence_problem(upload)
    if problem:
        raise workflow.WorkflowError(problem)
    name = PurePath(upload.name).name[-200:]
    with transaction.atomic():
        evaluation = _lock_editable(evaluation, user)
        if result.evidence.count() >= MAX_FILES_PER_LINE:
            raise workflow.WorkflowError(f"每个指标最多上传{MAX_FILES_PER_LINE}个文件。")
        evidence = Evidence(result=result, original_name=name, size=upload.size, uploaded_by=user)
        with files.saving():
            evidence.file.save(
                f"{evaluation.pk}-{result.pk}{PurePath(name).suffix.lower()}", upload, save=False
            )
        evidence.save()
        audit_record(
            actor=user,
            action="佐证材料·上传",
            obj=evaluation,
            changes={"evidence": [None, name], "indicator": result.indicator.name},
        )
    return evidence


def evidence_remove(*, evidence: Evidence, user) -> None:
    evaluation = evidence.result.evaluation
    refusal = editing_refusal(user, evaluation)
    if refusal:
        raise workflow.WorkflowError(refusal)
    with transaction.atomic():
        evaluation = _lock_editable(evaluation, user)
        if not Evidence.objects.filter(pk=evidence.pk).exists():
            raise workflow.WorkflowError("该文件已被删除。")
        audit_record(
            actor=user,
            action="佐证材料·删除",
            obj=evaluation,
            changes={
                "evidence": [evidence.original_name, None],
                "indicator": evidence.result.indicator.name,
            },
        )
        evidence.delete()
        transaction.on_commit(lambda: evidence.file.delete(save=False))


def _lock_editable(evaluation: SelfEvaluation, user) -> SelfEvaluation:
    """The evaluation as it is now, its row locked until the transaction ends, or WorkflowError.
    A submission updates that row, so it either lands first (and this refuses) or waits until
    the evidence is in: evidence never changes under a submitted form."""
    # of=("self",): the year's row, joined for the refusal's checks, stays unlocked
    evaluation = (
        SelfEvaluation.objects.select_for_update(of=("self",))
        .select_related("year")
        .get(pk=evaluation.pk)
    )
    refusal = editing_refusal(user, evaluation)
    if refusal:
        raise workflow.WorkflowError(refusal)
    return evaluation
