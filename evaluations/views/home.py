"""The home page by role, and the buttons that start a form from it."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_POST

from budgets.access import access_for
from budgets.context_processors import frame_shown
from core.errors import back_to
from core.freshness import cached_page, cached_part

from .. import selectors, services, todo
from .common import _home, _start


@login_required
def home(request):
    """One home page; its sections follow the roles the user holds. Cached for the user under
    the data generation (core/freshness.py): drawn again after any write; an administrator's
    (failed jobs, which are not data) is always drawn."""
    key = ["home", request.GET.urlencode()]

    def draw() -> dict:
        access = access_for(request.user)

        def context() -> dict:  # the year is read only when the part is drawn
            all_years = selectors.years()
            fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
            return _home_context(request, all_years, fiscal_year, access)

        mine = [*key, request.user.pk, access.fingerprint()]
        part = cached_part(mine, "evaluations/_home_part.html", context, cache=not access.is_admin)
        return {"part": part}

    return cached_page(
        request,
        key,
        "evaluations/home.html",
        draw,
        shown=frame_shown(request),
        cache=not request.user.is_superuser,
    )


def _home_context(request, all_years, fiscal_year, access) -> dict:
    context = {
        "years": all_years,
        "year": fiscal_year,
        "access": access,
        "roles": access.roles(),
        "overview": [],
        "todo": todo.todo_for(request.user, fiscal_year),
    }
    if fiscal_year is not None:
        context["overview"], context["page"] = selectors.clerk_overview(
            request.user, fiscal_year, request.GET.get("page")
        )
        params = request.GET.copy()
        params.pop("page", None)
        context["query"] = params.urlencode()
    return context


@login_required
@require_POST
@back_to(_home)
def target_sheet_start(request):
    """Create the target sheet of a project or a department-year, then open it."""
    return _start(request, services.target_sheet_start, "target_sheet")


@login_required
@require_POST
@back_to(_home)
def evaluation_start(request):
    """Create the self-evaluation of an approved target sheet, then open it."""
    return _start(request, services.evaluation_start, "evaluation")
