"""SQLite capture: generated triggers plus Python SQL functions registered per connection.

SQLite triggers are plain SQL without loops, so one `INSERT INTO audit_entry` per column is
generated from the model (a table's triggers are checked against this text, so a migration
that rebuilt the table without them is noticed). Each statement in a trigger body runs after
the previous one, and SQLite lets one writer at a time in, so `MAX(seq) + 1` is strictly
sequential. Permanent triggers cannot read temporary tables, so the audit context and the
hash come from functions registered on every connection: a connection without them (the
sqlite3 shell, another program) cannot write a GMP table at all, which fails closed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping

from rempart.mes.audit.chain import HASHED_FIELDS, entry_hash
from rempart.mes.audit.registry import AUDIT_TABLE, AuditSpec

ContextProvider = Callable[[], Mapping[str, str]]

_CONTEXT_KEYS = ("user_id", "printed_name", "role", "reason", "request_id")


def register_functions(raw: sqlite3.Connection, context: ContextProvider) -> None:
    """Give a raw sqlite3 connection the functions the triggers call."""

    def audit_ctx(name: str) -> str | None:
        value = context().get(name, "")
        return value or None

    def audit_hash(*values: str | int | None) -> str:
        return entry_hash(dict(zip(HASHED_FIELDS, values, strict=True)))

    raw.create_function("rempart_audit_ctx", 1, audit_ctx)
    raw.create_function("rempart_audit_hash", len(HASHED_FIELDS), audit_hash)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _value(row: str, column: str, redacted: bool) -> str:
    ref = f"{row}.{_q(column)}"
    if redacted:
        return f"CASE WHEN {ref} IS NULL THEN NULL ELSE '[redacted]' END"
    return f"CAST({ref} AS TEXT)"


def _append(spec: AuditSpec, action: str, column: str, old: str, new: str, when: str) -> str:
    key_row = "OLD" if action == "DELETE" else "NEW"
    values = {
        "seq": "s.seq",
        "recorded_at": "s.ts",
        "user_id": "s.uid",
        "printed_name": "s.pn",
        "role": "s.role",
        "action": _lit(action),
        "entity": _lit(spec.table),
        "entity_key": f"CAST({key_row}.{_q(spec.key_column)} AS TEXT)",
        "field": _lit(column),
        "old_value": old,
        "new_value": new,
        "reason": "s.reason",
        "request_id": "s.rid",
        "prev_hash": "s.prev",
    }
    ordered = [values[name] for name in HASHED_FIELDS]
    # Identifiers come from model metadata, literals are quoted by _lit: no outside input.
    return (
        f"INSERT INTO {AUDIT_TABLE} ({', '.join(HASHED_FIELDS)}, hash) "  # noqa: S608
        f"SELECT {', '.join(ordered)}, rempart_audit_hash({', '.join(ordered)}) FROM ("
        f"SELECT COALESCE((SELECT MAX(seq) FROM {AUDIT_TABLE}), 0) + 1 AS seq, "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS ts, "
        "COALESCE(rempart_audit_ctx('user_id'), 'db:sqlite') AS uid, "
        "COALESCE(rempart_audit_ctx('printed_name'), 'unknown') AS pn, "
        "rempart_audit_ctx('role') AS role, rempart_audit_ctx('reason') AS reason, "
        "rempart_audit_ctx('request_id') AS rid, "
        f"(SELECT hash FROM {AUDIT_TABLE} ORDER BY seq DESC LIMIT 1) AS prev) AS s "
        f"WHERE {when};"
    )


def capture_triggers(spec: AuditSpec) -> dict[str, str]:
    """Trigger name → CREATE TRIGGER statement, for the three capture triggers of a table."""
    table = _q(spec.table)
    inserts, updates, deletes = [], [], []
    changed = []
    for column in spec.columns:
        red = column in spec.redacted
        old, new = _value("OLD", column, red), _value("NEW", column, red)
        differs = f"OLD.{_q(column)} IS NOT NEW.{_q(column)}"
        changed.append(differs)
        inserts.append(
            _append(spec, "INSERT", column, "NULL", new, f"NEW.{_q(column)} IS NOT NULL")
        )
        updates.append(_append(spec, "UPDATE", column, old, new, differs))
        deletes.append(
            _append(spec, "DELETE", column, old, "NULL", f"OLD.{_q(column)} IS NOT NULL")
        )
    need_reason = (
        "SELECT RAISE(ABORT, "
        + _lit(f"rempart: a change to {spec.table} needs a reason")
        + ") WHERE rempart_audit_ctx('reason') IS NULL AND ("
        + " OR ".join(changed)
        + ");"
    )
    delete_reason = (
        "SELECT RAISE(ABORT, "
        + _lit(f"rempart: removing a row of {spec.table} needs a reason")
        + ") WHERE rempart_audit_ctx('reason') IS NULL;"
    )
    base = f"rempart_audit_{spec.table}"
    return {
        f"{base}_ins": f"CREATE TRIGGER {base}_ins AFTER INSERT ON {table} FOR EACH ROW BEGIN "
        + " ".join(inserts)
        + " END",
        f"{base}_upd": f"CREATE TRIGGER {base}_upd AFTER UPDATE ON {table} FOR EACH ROW BEGIN "
        + " ".join([need_reason, *updates])
        + " END",
        f"{base}_del": f"CREATE TRIGGER {base}_del AFTER DELETE ON {table} FOR EACH ROW BEGIN "
        + " ".join([delete_reason, *deletes])
        + " END",
    }


def guard_trigger(table: str, operation: str, why: str) -> tuple[str, str]:
    name = f"rempart_guard_{table}_no{operation.lower()}"
    message = _lit(f"rempart: {operation} on {table} refused: {why}")
    return name, (
        f"CREATE TRIGGER {name} BEFORE {operation} ON {_q(table)} FOR EACH ROW BEGIN "
        f"SELECT RAISE(ABORT, {message}); END"
    )
