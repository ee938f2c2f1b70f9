from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from budgets import login
from budgets import notifications as notification_views
from budgets import profile as profile_views
from evaluations import views as evaluation_views
from reporting import progress as progress_views
from reporting import results as results_views
from reporting import views as reporting_views

admin.site.login_form = login.AdminLoginForm  # the admin's login is throttled like the site's

# Errors in Chinese, in the site's layout: Django's default views render templates/404.html,
# 403.html and 500.html (the 500 page without any context: it must not touch the database);
# the 400 page also names the bad parameter.
handler400 = "core.views.bad_request"

urlpatterns = [
    path("", evaluation_views.home, name="home"),
    path("targets/start/", evaluation_views.target_sheet_start, name="target_sheet_start"),
    path("targets/<int:pk>/", evaluation_views.target_sheet, name="target_sheet"),
    path("evaluations/start/", evaluation_views.evaluation_start, name="evaluation_start"),
    path("evaluations/<int:pk>/", evaluation_views.evaluation, name="evaluation"),
    path(
        "evaluations/<int:pk>/preview/",
        evaluation_views.evaluation_preview,
        name="evaluation_preview",
    ),
    path(
        "evaluations/<int:pk>/evidence/", evaluation_views.evidence_upload, name="evidence_upload"
    ),
    path("evidence/<int:pk>/", evaluation_views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", evaluation_views.evidence_delete, name="evidence_delete"),
    path("evaluations/<int:pk>/table/", reporting_views.evaluation_table, name="evaluation_table"),
    path("exports/", reporting_views.exports, name="exports"),
    path("exports/<int:pk>/status/", reporting_views.export_status, name="export_status"),
    path("exports/<int:pk>/download/", reporting_views.export_download, name="export_download"),
    path("review/", evaluation_views.review_queue, name="review_queue"),
    path("monitoring/", evaluation_views.monitoring, name="monitoring"),
    path("monitoring/<int:pk>/", evaluation_views.monitoring_sheet, name="monitoring_sheet"),
    path(
        "budgets/department/<int:pk>/",
        evaluation_views.department_budget,
        name="department_budget",
    ),
    path("review/bulk/", evaluation_views.review_bulk, name="review_bulk"),
    path("review/bulk/<int:pk>/", evaluation_views.review_bulk_job, name="review_bulk_job"),
    path("dashboard/", reporting_views.dashboard, name="dashboard"),
    path("monitoring/summary/", reporting_views.monitoring_summary, name="monitoring_summary"),
    path(
        "monitoring/sheets/<int:pk>/table/",
        reporting_views.monitoring_table,
        name="monitoring_table",
    ),
    path("rectifications/", evaluation_views.rectifications, name="rectifications"),
    path("rectifications/<int:pk>/", evaluation_views.rectification, name="rectification"),
    path(
        "rectifications/files/<int:pk>/",
        evaluation_views.rectification_file,
        name="rectification_file",
    ),
    path(
        "rectifications/files/<int:pk>/delete/",
        evaluation_views.rectification_file_delete,
        name="rectification_file_delete",
    ),
    path("spot-checks/", evaluation_views.spot_checks, name="spot_checks"),
    path("spot-checks/<int:pk>/", evaluation_views.spot_check, name="spot_check"),
    path("spot-checks/items/<int:pk>/", evaluation_views.spot_check_item, name="spot_check_item"),
    path("results/", results_views.results_application, name="results_application"),
    path("targets/progress/", progress_views.target_progress, name="target_progress"),
    path("profile/", profile_views.profile, name="profile"),
    path("messages/", notification_views.notifications, name="notifications"),
    path("login/", login.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("imports.urls")),
    path("admin/", admin.site.urls),
]
