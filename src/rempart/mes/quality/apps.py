from __future__ import annotations

from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "rempart.mes.quality"
    label = "quality"
    verbose_name = "deviations"
