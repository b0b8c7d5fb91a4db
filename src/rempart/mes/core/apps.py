from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "rempart.mes.core"
    label = "core"
    verbose_name = "rempart core"
