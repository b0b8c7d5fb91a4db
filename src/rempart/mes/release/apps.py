from __future__ import annotations

from django.apps import AppConfig


class ReleaseConfig(AppConfig):
    name = "rempart.mes.release"
    label = "release"
    verbose_name = "pharmacist release"
