"""What the page views share: where a refusal goes back to, the version a user saw."""

from decimal import Decimal

from django.shortcuts import redirect
from django.urls import reverse

from core.http import keyed_ids, optional_id, optional_int

from .. import services, workflow
from ..models import LineComment, TargetSheet


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


def _crumbs(user, form) -> list[tuple[str, str]]:
    """The form page's breadcrumbs, after 首页, as (label, link or ""): finance (and an
    administrator) came from 审核工作台 and goes back to it, filtered to the form's year and
    kind; the unit came from its home page."""
    kind = "targets" if isinstance(form, TargetSheet) else "evaluation"
    finance = workflow.acts_as(user, workflow.FINANCE, form.department_id) and (
        user.is_superuser or not workflow.acts_as(user, workflow.UNIT, form.department_id)
    )
    if finance:
        queue = f"{reverse('review_queue')}?year={form.year.year}&kind={kind}"
        return [("审核工作台", queue), (LineComment.Kind(kind).label, ""), (form.title, "")]
    return [("绩效目标申报" if kind == "targets" else "绩效自评", ""), (form.title, "")]
