"""Routes of the records app, included under `/records/`."""

from __future__ import annotations

from django.urls import URLPattern, re_path

from rempart.mes.records import views

app_name = "records"

urlpatterns: list[URLPattern] = [
    re_path(r"^(?P<number>[^/]+)\.pdf$", views.record_pdf, name="pdf"),
    re_path(r"^(?P<number>[^/]+)\.json$", views.record_json, name="json"),
]
