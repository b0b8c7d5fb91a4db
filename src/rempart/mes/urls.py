"""URL routes of the MES."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from rempart.mes.core import views as core_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("health", core_views.health, name="health"),
]
