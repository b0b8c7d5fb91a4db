"""Deviation pages under /quality/: the list, the manual form, the detail with closure."""

from __future__ import annotations

from django.urls import URLPattern, path

from rempart.mes.quality import views

app_name = "quality"

urlpatterns: list[URLPattern] = [
    path("deviations/", views.deviation_list, name="deviations"),
    path("deviations/new", views.new_deviation, name="new_deviation"),
    path("deviations/<int:pk>/", views.deviation_detail, name="deviation"),
    path("deviations/<int:pk>/close", views.close, name="close"),
]
