"""Routes of the qc app, included under `/qc/`."""

from __future__ import annotations

from django.urls import URLPattern, path

from rempart.mes.qc import views

app_name = "qc"

urlpatterns: list[URLPattern] = [
    path("", views.samples, name="samples"),
    path("samples/<str:sample_id>/result", views.enter_result, name="enter_result"),
    path("samples/<str:sample_id>/start", views.start_test, name="start_test"),
    path("import", views.import_csv, name="import"),
    path("specifications/", views.specifications, name="specifications"),
    path("em/", views.viable_em, name="viable_em"),
    path("quarantine/", views.quarantine, name="quarantine"),
]
