"""Routes of the release app, included under `/release/`."""

from __future__ import annotations

from django.urls import URLPattern, path

from rempart.mes.release import views

app_name = "release"

urlpatterns: list[URLPattern] = [
    path("", views.cockpit, name="cockpit"),
    path("<str:number>/", views.batch_page, name="batch"),
    path("<str:number>/filter-test", views.filter_test, name="filter_test"),
    path(
        "<str:number>/filter-test/<int:pk>/verify",
        views.verify_filter_test,
        name="verify_filter_test",
    ),
    path("<str:number>/<str:step>", views.act, name="act"),
]
