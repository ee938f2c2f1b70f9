"""The home page by role, and the buttons that start a form from it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_POST

from budgets.access import access_for
from core.errors import back_to

from .. import selectors, services, todo
from .common import _home, _start


@login_required
def home(request):
    """One home page; its sections follow the roles the user holds."""
    all_years = selectors.years()
    fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
    access = access_for(request.user)
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
    return render(request, "evaluations/home.html", context)


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
