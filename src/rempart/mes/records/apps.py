from __future__ import annotations

from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "rempart.mes.records"
    label = "records"
    verbose_name = "batch record documents"
