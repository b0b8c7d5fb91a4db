from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import pre_save


class CoreConfig(AppConfig):
    name = "rempart.mes.core"
    label = "core"
    verbose_name = "rempart core"

    def ready(self) -> None:
        from rempart.mes.core.columns import refuse_what_columns_cannot_hold

        pre_save.connect(refuse_what_columns_cannot_hold, dispatch_uid="rempart-column-limits")
