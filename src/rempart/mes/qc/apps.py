from __future__ import annotations

from django.apps import AppConfig


class QcConfig(AppConfig):
    name = "rempart.mes.qc"
    label = "qc"
    verbose_name = "quality control"
