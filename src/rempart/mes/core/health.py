"""Health checks: each returns a list of problems (empty when healthy)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import DatabaseError, connection

HealthCheck = Callable[[], list[str]]

#: Other apps append their checks here at import time (the audit app checks its triggers).
CHECKS: list[HealthCheck] = []


def database_reachable() -> list[str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return [f"database unreachable: {exc.__class__.__name__}"]
    return []


CHECKS.append(database_reachable)


def run_checks() -> list[str]:
    problems: list[str] = []
    for check in CHECKS:
        problems.extend(check())
    return problems
