"""Routes of the qc app, included under `/qc/`."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "qc"

urlpatterns: list[URLPattern] = []
