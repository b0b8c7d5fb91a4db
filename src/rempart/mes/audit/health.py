"""The /health check of the audit trail: every capture and guard trigger is in place."""

from __future__ import annotations

from django.db import DatabaseError, connection

from rempart.mes.audit.triggers import problems


def capture_intact() -> list[str]:
    try:
        return problems(connection)
    except DatabaseError as exc:
        return [f"audit capture could not be checked: {exc.__class__.__name__}"]
