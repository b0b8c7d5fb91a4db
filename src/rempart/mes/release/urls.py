"""Routes of the release app, included under `/release/`."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "release"

urlpatterns: list[URLPattern] = []
