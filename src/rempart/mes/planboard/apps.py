from __future__ import annotations

from django.apps import AppConfig


class PlanboardConfig(AppConfig):
    name = "rempart.mes.planboard"
    label = "planboard"
    verbose_name = "planning board"
