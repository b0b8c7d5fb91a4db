from __future__ import annotations

from django.apps import AppConfig


class SupplyConfig(AppConfig):
    name = "rempart.mes.supply"
    label = "supply"
    verbose_name = "shortage watch"
