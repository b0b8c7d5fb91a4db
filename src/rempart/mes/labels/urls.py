"""Routes of the labels app, included under `/labels/`."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "labels"

urlpatterns: list[URLPattern] = []
