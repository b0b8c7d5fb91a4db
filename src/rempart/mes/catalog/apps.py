from __future__ import annotations

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "rempart.mes.catalog"
    label = "catalog"
    verbose_name = "catalogue"
