from __future__ import annotations

from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "rempart.mes.signatures"
    label = "signatures"
    verbose_name = "electronic signatures"
