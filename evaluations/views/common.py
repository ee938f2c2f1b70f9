"""What the page views share: where a refusal goes back to, the version a user saw."""

from decimal import Decimal

from django.shortcuts import redirect
from django.urls import reverse

from core.http import keyed_ids, optional_id, optional_int

from .. import services


def _home(request, *args, **kwargs) -> str:
    return reverse("home")


def _evidence_of(request, pk: int) -> str:
    return f"{reverse('evaluation', args=[pk])}#evidence"


def _start(request, service, page: str):
    """Open (creating on first use) the form of the project or department-year posted."""
    form = service(
        user=request.user,
        project_id=optional_id(request.POST.get("project"), "项目"),
        department_id=optional_id(request.POST.get("department"), "单位"),
        year_id=optional_id(request.POST.get("year"), "年度"),
    )
    return redirect(page, pk=form.pk)


def _seen_version(post) -> int:
    """The version of the form the user saw, which a workflow action (审核通过, 退回, 确认, …)
    must carry: without it the service would act on whatever is stored now, which the user may
    never have seen. Missing is refused like stale, with the same message."""
    version = optional_int(post.get("version"), "版本")
    if version is None:
        raise services.FormConflict()
    return version


def _line_comments(post) -> dict[int, str]:
    return {pk: value for pk, value in keyed_ids(post, "line-").items() if value.strip()}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value
