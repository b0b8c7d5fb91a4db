"""Routes of the planning board, included under `/planning/`."""

from __future__ import annotations

from django.urls import URLPattern, path

from rempart.mes.planboard import views

app_name = "planboard"

urlpatterns: list[URLPattern] = [
    path("", views.board, name="board"),
    path("runs/new/", views.new_run, name="new_run"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="progress"),
    path("runs/<int:pk>/gantt.svg", views.gantt, name="gantt"),
    path("runs/<int:pk>/fill.svg", views.fill, name="fill"),
    path("runs/<int:pk>/accept/", views.accept, name="accept"),
]
