from django.urls import path

from . import accounts, views

urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/template/", views.import_template, name="import_template"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("imports/<int:pk>/status/", views.import_status, name="import_status"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/failed/", views.import_failed, name="import_failed"),
    path(
        "accounts/activate/<uidb64>/<token>/",
        accounts.ActivateView.as_view(),
        name="account_activate",
    ),
    path("evaluations/<int:pk>/import/", views.evaluation_import, name="evaluation_import"),
    path("monitoring/<int:pk>/import/", views.monitoring_import, name="monitoring_import"),
]
