import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditLog
from evaluations.models import Evidence, FormState
from tests.factories import member

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% test\n"


def upload(client, evaluation, name, content, result=None):
    result = result or evaluation.results.first()
    return client.post(
        reverse("evidence_upload", args=[evaluation.pk]),
        {"result": result.pk, "file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def test_upload_download_delete(client, clerk, evaluation):
    client.force_login(clerk)
    page = upload(client, evaluation, "满意度调查报告.pdf", PDF).content.decode()
    assert "已上传：满意度调查报告.pdf" in page
    evidence = Evidence.objects.get()
    response = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    client.post(reverse("evidence_delete", args=[evidence.pk]))
    assert not Evidence.objects.exists()
    assert list(
        AuditLog.objects.filter(action__startswith="佐证材料")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["佐证材料·上传", "佐证材料·删除"]


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("报告.exe", b"MZ", "只能上传"),
        ("报告.pdf", b"", "文件为空"),
        ("照片.png", PDF, "文件内容与扩展名（.png）不符"),
        ("报告.pdf", b"PK\x03\x04 not a pdf", "不符"),
    ],
)
def test_bad_files_refused(client, clerk, evaluation, name, content, message):
    client.force_login(clerk)
    assert message in upload(client, evaluation, name, content).content.decode()
    assert not Evidence.objects.exists()


def test_oversized_refused(client, clerk, evaluation, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    client.force_login(clerk)
    page = upload(client, evaluation, "大文件.pdf", PDF + b"0" * 2000).content.decode()
    assert "文件过大" in page
    assert not Evidence.objects.exists()


def test_not_after_submission(client, clerk, evaluation):
    evaluation.state = FormState.SUBMITTED
    evaluation.save()
    client.force_login(clerk)
    page = upload(client, evaluation, "a.pdf", PDF).content.decode()
    assert "表单当前状态为“已提交”，或您无权编辑。" in page
    assert not Evidence.objects.exists()


def test_other_department_cannot_download(client, clerk, evaluation, tree):
    client.force_login(clerk)
    upload(client, evaluation, "a.pdf", PDF)
    evidence = Evidence.objects.get()
    client.force_login(member(tree["other"]))
    assert client.get(reverse("evidence_download", args=[evidence.pk])).status_code == 404
    assert client.post(reverse("evidence_delete", args=[evidence.pk])).status_code == 404
    assert client.post(reverse("evidence_upload", args=[evaluation.pk])).status_code == 404
    assert Evidence.objects.count() == 1
