from __future__ import annotations

from django.apps import AppConfig


class MachineConfig(AppConfig):
    name = "rempart.mes.machine"
    label = "machine"
    verbose_name = "machine events"
