"""Routes of the line pages, for the lead to mount under /line/ with namespace "machine"
(`path("line/", include((machine_urls.urlpatterns, "machine")))`)."""

from __future__ import annotations

from django.urls import URLPattern, path

from rempart.mes.machine import views

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("status.json", views.status_json, name="status"),
    path("limits/", views.limit_sets, name="limits"),
    path("limits/<int:pk>/approve", views.approve_limit_set, name="approve_limits"),
    path("media-fills/", views.media_fills, name="media_fills"),
]
