from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


def _register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **_: Any) -> None:
    if connection.vendor != "sqlite":
        return
    from rempart.mes.audit.context import SQLITE_CONTEXT
    from rempart.mes.audit.sqlite import register_functions

    register_functions(connection.connection, lambda: SQLITE_CONTEXT.get(connection, {}))


def _install_triggers(sender: AppConfig, using: str = "default", **_: Any) -> None:
    from django.db import connections

    from rempart.mes.audit.triggers import install

    install(connections[using])


class AuditConfig(AppConfig):
    name = "rempart.mes.audit"
    label = "audit"
    verbose_name = "audit trail"

    def ready(self) -> None:
        from rempart.mes.audit import health
        from rempart.mes.core.health import CHECKS

        connection_created.connect(_register_sqlite_functions, dispatch_uid="rempart-audit-fn")
        # After every migrate (and every test flush), so new or rebuilt tables get triggers.
        post_migrate.connect(_install_triggers, sender=self, dispatch_uid="rempart-audit-install")
        if health.capture_intact not in CHECKS:
            CHECKS.append(health.capture_intact)
