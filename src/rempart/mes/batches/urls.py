"""Batch pages under /batches/ (to be included by rempart.mes.urls in place of its inline
list): the list, ordering, the line state, the batch record and its actions."""

from __future__ import annotations

from django.urls import URLPattern, path

from rempart.mes.batches import actions, views

app_name = "batches"

urlpatterns: list[URLPattern] = [
    path("", views.batch_list, name="list"),
    path("line-state/", actions.line_state_page, name="line_state"),
    path("<str:number>/", views.record, name="record"),
    path("new", actions.new_order, name="new"),
    path("<str:number>/do/<str:step>", actions.act, name="act"),
    path("<str:number>/deviations/<int:pk>/close", actions.close, name="close"),
    path("<str:number>/gaps/<int:pk>/resolve", actions.resolve, name="resolve"),
]
