"""审核工作台: the review queue, filtered, counted, sorted and paged in the database."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from budgets.access import Role, access_for
from budgets.access import visible_departments as access_scope_departments
from budgets.context_processors import frame_shown
from core.errors import back_to
from core.freshness import cached_page, cached_part
from core.http import BadParameter, as_int

from .. import selectors, services
from ..forms import (
    ReviewFilters,
)
from ..models import BulkReviewJob, FormState, Grade

# rows a page: 50 rows cost half the page's time of 100 (rendering the rows is most of it)
QUEUE_PAGE_SIZE = 50


@login_required
def review_queue(request):
    """财政审核: every form of the departments this reviewer covers, filtered and sorted. Cached
    under the data generation (core/freshness.py): drawn again after any write, for the same
    query and day; its part is shared by the reviewers of the same access."""
    key = ["review_queue", request.GET.urlencode()]

    def draw() -> dict:
        finance = _require_reviewer(request.user)
        filters = ReviewFilters(request.GET).values(
            FormState.SUBMITTED if finance else FormState.PENDING_SUPERVISOR
        )

        def context() -> dict:  # the year is read only when the part is drawn
            all_years = selectors.years()
            fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
            return _queue_context(request, all_years, fiscal_year, finance, filters)

        shared = [*key, access_for(request.user).fingerprint()]
        return {"part": cached_part(shared, "evaluations/_review_queue_part.html", context)}

    return cached_page(
        request, key, "evaluations/review_queue.html", draw, shown=frame_shown(request)
    )


def _queue_context(request, all_years, fiscal_year, finance: bool, filters: dict) -> dict:
    result = (
        selectors.review_list(request.user, fiscal_year, **filters)
        if fiscal_year
        else {"rows": [], "counts": {}, "adjustments": {}, "overdue": 0, "overdue_all": 0}
    )
    page = Paginator(result.pop("rows"), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.attach_flags([row.form for row in page.object_list])
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "years": all_years,
        "year": fiscal_year,
        "filters": filters,
        **result,
        "page": page,
        "rows": page.object_list,
        "query": params.urlencode(),
        "query_string": request.GET.urlencode(),
        "departments": access_scope_departments(request.user),
        "states": FormState.choices,
        "kinds": list(selectors.QUEUE_KINDS.items()),
        "grades": Grade.values,
        # 目标调整, 批量审核 and 催办 are finance's; a 主管部门审核人 reviews form by form
        "finance": finance,
        # 批量审核 acts on forms only: how many the filters hold (the 目标调整 counted apart)
        "bulk_total": sum(
            n for s, n in result["counts"].items() if not filters["state"] or s == filters["state"]
        )
        if fiscal_year and finance
        else 0,
        # the moment the list was read: 批量审核 leaves a form changed since
        "as_of": timezone.now().isoformat(),
    }


def _require_reviewer(user) -> bool:
    """A reviewer of finance (True) or of a 主管部门 (False); anyone else finds no such page."""
    access = access_for(user)
    if access.is_admin or Role.REVIEWER in access.roles():
        return True
    if Role.SUPERVISOR in access.roles():
        return False
    raise Http404("未找到该页面。")


def _queue_address(request) -> str:
    return reverse("review_queue") + "?" + request.POST.get("query", "")


@login_required
@require_POST
@back_to(_queue_address)
def review_bulk(request):
    """批量审核: the ticked forms (each with the version shown), or every form the filters
    select ("全部筛选结果": the filters are posted, not ids, and read again here), approved or
    returned one by one through the single action's service; then the summary."""
    if not _require_reviewer(request.user):
        raise Http404("未找到该页面。")
    wanted = as_int(request.POST.get("year"))
    fiscal_year = next((y for y in selectors.years() if y.year == wanted), None)
    if fiscal_year is None:
        raise BadParameter("年度不存在。")
    as_of = None
    if request.POST.get("scope") == "all":
        filters = ReviewFilters(request.POST).values()
        items = selectors.review_selection(request.user, fiscal_year, **filters)
        try:
            as_of = datetime.datetime.fromisoformat(request.POST.get("as_of", ""))
        except ValueError:
            raise BadParameter("列表显示时间无效，请刷新页面后重试。") from None
        if timezone.is_naive(as_of):
            as_of = timezone.make_aware(as_of)
    else:
        items = [_picked(value) for value in request.POST.getlist("pick")]
    job = services.bulk_review_start(
        user=request.user,
        fiscal_year=fiscal_year,
        action=request.POST.get("action", ""),
        reason=request.POST.get("reason", ""),
        items=items,
        as_of=as_of,
    )
    return redirect("review_bulk_job", pk=job.pk)


def _picked(value: str) -> tuple[str, int, int]:
    """A ticked row: "kind:id:version"."""
    parts = value.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        raise BadParameter("所选表单参数无效。")
    return parts[0], int(parts[1]), int(parts[2])


@login_required
def review_bulk_job(request, pk: int):
    """A bulk action's progress (the page refreshes itself while it runs), then its summary:
    what passed, what was refused and why, form by form. Only its reviewer sees it."""
    job = get_object_or_404(
        BulkReviewJob.objects.select_related("year"), pk=pk, created_by=request.user
    )  # someone else's job is not found, whatever the method
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return render(request, "evaluations/review_bulk.html", {"job": job})
