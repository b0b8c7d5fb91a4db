from __future__ import annotations

from django.apps import AppConfig


class StockConfig(AppConfig):
    name = "rempart.mes.stock"
    label = "stock"
    verbose_name = "stock and distribution"
