from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "rempart.mes.accounts"
    label = "accounts"
    verbose_name = "people and qualifications"
