"""Routes of the stock app, included under `/stock/`."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "stock"

urlpatterns: list[URLPattern] = []
