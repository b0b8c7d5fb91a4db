from __future__ import annotations

from django.apps import AppConfig


class LabelsConfig(AppConfig):
    name = "rempart.mes.labels"
    label = "labels"
    verbose_name = "labels"
