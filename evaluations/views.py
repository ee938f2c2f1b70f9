from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from budgets.access import access_for

from . import selectors


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
        "queue": None,
    }
    if fiscal_year is not None:
        context["overview"] = selectors.clerk_overview(request.user, fiscal_year)
        if access.is_admin or "reviewer" in context["roles"]:
            context["queue"] = selectors.review_queue(request.user, fiscal_year)
    return render(request, "evaluations/home.html", context)
