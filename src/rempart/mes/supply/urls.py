"""Routes of the shortage watch, included under `/supply/`."""

from __future__ import annotations

from django.urls import URLPattern, path

from rempart.mes.supply import views

app_name = "supply"

urlpatterns: list[URLPattern] = [
    path("", views.watch, name="watch"),
    path("import/", views.upload, name="upload"),
    path("inputs/", views.inputs, name="inputs"),
]
