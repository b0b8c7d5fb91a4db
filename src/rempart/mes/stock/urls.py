"""Routes of the stock app, included under `/stock/`."""

from __future__ import annotations

from django.urls import URLPattern, path

from rempart.mes.stock import views

app_name = "stock"

urlpatterns: list[URLPattern] = [
    path("", views.stock, name="stock"),
    path("near-expiry/", views.near_expiry, name="near_expiry"),
    path("orders/", views.orders, name="orders"),
    path("orders/new/", views.new_order, name="new_order"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/pick", views.pick, name="pick"),
    path("orders/<int:pk>/cancel", views.cancel, name="cancel"),
    path("allocate/<str:code>", views.allocate, name="allocate"),
    path("dispatches/<int:pk>/", views.dispatch_detail, name="dispatch"),
    path("dispatches/<int:pk>/note.pdf", views.dispatch_note, name="dispatch_note"),
    path("dispatches/<int:pk>/ship", views.ship, name="ship"),
    path("dispatches/<int:pk>/scan", views.scan, name="scan"),
    path("dispatches/<int:pk>/confirm", views.confirm, name="confirm"),
    path("recalls/", views.recalls, name="recalls"),
    path("recalls/<int:pk>/", views.recall_detail, name="recall"),
    path("recalls/<int:pk>/notices/<int:notice>/ack", views.acknowledge, name="acknowledge"),
    path("recalls/<int:pk>/close", views.close_recall, name="close_recall"),
    path("trace/", views.trace, name="trace"),
]
