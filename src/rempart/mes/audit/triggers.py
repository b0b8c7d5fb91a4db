"""Install, check and remove the capture and guard triggers, on SQLite or PostgreSQL.

`problems()` is the fail-closed check: the start-up check, /health and every audited write
call it. A trigger that is missing, disabled, or whose text differs from what the current
models need counts as a problem.
"""

from __future__ import annotations

import functools
import re

from django.db.backends.base.base import BaseDatabaseWrapper

from rempart.mes.audit import postgresql, sqlite
from rempart.mes.audit.registry import AUDIT_TABLE, guarded_tables, specs

APPEND_ONLY = "append-only"
NO_DELETE = "GMP records are never deleted"


def expected(vendor: str) -> dict[str, str]:
    """Trigger name → CREATE TRIGGER statement, for every trigger the registry requires."""
    return dict(_expected(vendor, len(specs()), len(guarded_tables())))


@functools.lru_cache(maxsize=8)
def _expected(vendor: str, registered: int, guarded: int) -> tuple[tuple[str, str], ...]:
    # Cached because every audited write checks the triggers; keyed on the registry size so
    # a model registered later (an app loaded afterwards) is never missed.
    guard = sqlite.guard_trigger if vendor == "sqlite" else postgresql.guard_trigger
    wanted: dict[str, str] = dict(
        [guard(AUDIT_TABLE, "UPDATE", APPEND_ONLY), guard(AUDIT_TABLE, "DELETE", APPEND_ONLY)]
    )
    for spec in specs():
        if vendor == "sqlite":
            wanted.update(sqlite.capture_triggers(spec))
        else:
            name, sql = postgresql.capture_trigger(spec)
            wanted[name] = sql
        if spec.append_only:
            wanted.update([guard(spec.table, "UPDATE", APPEND_ONLY)])
        wanted.update([guard(spec.table, "DELETE", APPEND_ONLY if spec.append_only else NO_DELETE)])
    for table in guarded_tables():
        wanted.update([guard(table, "UPDATE", APPEND_ONLY), guard(table, "DELETE", APPEND_ONLY)])
    return tuple(wanted.items())


def _squash(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def problems(connection: BaseDatabaseWrapper) -> list[str]:
    """Every way the installed capture differs from what is required; empty when intact."""
    wanted = expected(connection.vendor)
    found: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            installed = dict(cursor.fetchall())
            for name, sql in wanted.items():
                if name not in installed:
                    found.append(f"audit trigger {name} is missing")
                elif installed[name] != sql and _squash(installed[name]) != _squash(sql):
                    found.append(f"audit trigger {name} differs from the model (re-run migrate)")
            return found
        cursor.execute(
            "SELECT t.tgname, t.tgenabled FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
            "AND c.relnamespace = current_schema()::regnamespace"
        )
        state = dict(cursor.fetchall())
        cursor.execute(
            "SELECT proname, prosrc FROM pg_proc "
            "WHERE pronamespace = current_schema()::regnamespace AND proname = ANY(%s)",
            [list(postgresql.FUNCTIONS)],
        )
        bodies = dict(cursor.fetchall())
    for name in wanted:
        if name not in state:
            found.append(f"audit trigger {name} is missing")
        elif state[name] == "D":
            found.append(f"audit trigger {name} is disabled")
    for function, (_sig, _ret, body) in postgresql.FUNCTIONS.items():
        if bodies.get(function) != body:
            found.append(f"audit function {function} is missing or altered")
    return found


def install(connection: BaseDatabaseWrapper) -> None:
    """(Re)create every required trigger; idempotent, run after each migrate."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for function in postgresql.FUNCTIONS:
                cursor.execute(postgresql.function_sql(function))
            for name, sql in expected("postgresql").items():
                table = re.search(r' ON "([^"]+)"', sql)
                assert table is not None
                cursor.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table.group(1)}"')
                cursor.execute(sql)
        else:
            for name, sql in expected("sqlite").items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(sql)


def drop_all(connection: BaseDatabaseWrapper) -> None:
    """Remove every rempart trigger (a superuser's power; tests use it before a flush)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c "
                "ON c.oid = t.tgrelid WHERE t.tgname LIKE 'rempart\\_%%'"
            )
            for name, table in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rempart_%'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
