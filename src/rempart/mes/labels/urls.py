"""Routes of the labels app, included under `/labels/`."""

from __future__ import annotations

from django.urls import URLPattern, path

from rempart.mes.labels import views

app_name = "labels"

urlpatterns: list[URLPattern] = [
    path("", views.lot_list, name="list"),
    path("settings/", views.label_settings, name="settings"),
    path("lots/<str:number>/", views.lot_labels, name="lot"),
    path("lots/<str:number>/print", views.print_lot, name="print"),
    path("lots/<str:number>/reprint", views.reprint_lot, name="reprint"),
    path("lots/<str:number>/count", views.count_lot, name="count"),
]
