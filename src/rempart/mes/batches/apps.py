from __future__ import annotations

from django.apps import AppConfig


class BatchesConfig(AppConfig):
    name = "rempart.mes.batches"
    label = "batches"
    verbose_name = "batch execution"
