"""审核工作台: the review queue, filtered, counted, sorted and paged in the database."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from budgets.access import access_for
from budgets.access import visible_departments as access_scope_departments

from .. import selectors
from ..forms import (
    ReviewFilters,
)
from ..models import FormState, Grade

QUEUE_PAGE_SIZE = 100


@login_required
def review_queue(request):
    """财政审核: every form of the departments this reviewer covers, filtered and sorted."""
    all_years = selectors.years()
    fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
    access = access_for(request.user)
    if not (access.is_admin or "reviewer" in access.roles()):
        raise Http404("未找到该页面。")
    filters = ReviewFilters(request.GET).values()
    result = (
        selectors.review_list(request.user, fiscal_year, **filters)
        if fiscal_year
        else {"rows": [], "counts": {}, "adjustments": {}, "overdue": 0, "overdue_all": 0}
    )
    page = Paginator(result.pop("rows"), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.attach_flags([row.form for row in page.object_list])
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "evaluations/review_queue.html",
        {
            "years": all_years,
            "year": fiscal_year,
            "filters": filters,
            **result,
            "page": page,
            "rows": page.object_list,
            "query": params.urlencode(),
            "departments": access_scope_departments(request.user),
            "states": FormState.choices,
            "kinds": list(selectors.QUEUE_KINDS.items()),
            "grades": Grade.values,
        },
    )
