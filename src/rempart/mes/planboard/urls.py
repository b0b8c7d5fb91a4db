"""Routes of the planboard app, included under `/planboard/`."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "planboard"

urlpatterns: list[URLPattern] = []
