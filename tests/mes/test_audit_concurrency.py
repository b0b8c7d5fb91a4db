"""Eight concurrent writers on separate connections keep the chain linear: no gap, no fork."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, connections

from rempart.mes.audit.chain import HASHED_FIELDS, verify_rows
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.audit.models import AuditEntry
from rempart.mes.audit.sqlite import register_functions
from rempart.mes.catalog.models import Hospital

WRITERS = 8
ROWS_EACH = 6
FIELDS_PER_HOSPITAL = 5  # id, code, name, town, department


def _run(worker: object) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def guarded(n: int) -> None:
        try:
            start.wait()
            worker(n)  # type: ignore[operator]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def _postgresql() -> None:
    def worker(n: int) -> None:
        try:
            for i in range(ROWS_EACH):
                with audited_write(Actor(f"user:{n}", f"Writer {n}", "technician")):
                    Hospital.objects.create(code=f"W{n}-{i}", name="n", town="t", department="59")
        finally:
            connections.close_all()

    assert _run(worker) == []
    entries = list(AuditEntry.objects.order_by("seq").values(*HASHED_FIELDS, "hash"))
    assert len(entries) == WRITERS * ROWS_EACH * FIELDS_PER_HOSPITAL
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert verify_rows(entries).ok


def _sqlite(tmp_path: Path) -> None:
    # The in-memory test database cannot be opened by other connections: copy it to a file
    # and write there with plain sqlite3 connections, each registering the functions.
    path = tmp_path / "concurrent.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()

    def worker(n: int) -> None:
        raw = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        context = {"user_id": f"user:{n}", "printed_name": f"Writer {n}", "role": "technician"}
        register_functions(raw, lambda: context)
        try:
            for i in range(ROWS_EACH):
                raw.execute("BEGIN IMMEDIATE")
                raw.execute(
                    "INSERT INTO catalog_hospital (code, name, town, department) "
                    "VALUES (?, 'n', 't', '59')",
                    [f"W{n}-{i}"],
                )
                raw.execute("COMMIT")
        finally:
            raw.close()

    assert _run(worker) == []
    reader = sqlite3.connect(path)
    columns = (*HASHED_FIELDS, "hash")
    rows = [
        dict(zip(columns, values, strict=True))
        for values in reader.execute(f"SELECT {', '.join(columns)} FROM audit_entry ORDER BY seq")
    ]
    reader.close()
    assert len(rows) == WRITERS * ROWS_EACH * FIELDS_PER_HOSPITAL
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert {r["user_id"] for r in rows} == {f"user:{n}" for n in range(WRITERS)}
    assert verify_rows(rows).ok


def test_eight_concurrent_writers_keep_the_chain_linear(
    sqlite_flush_guard: None, tmp_path: Path
) -> None:
    if connection.vendor == "postgresql":
        _postgresql()
    else:
        _sqlite(tmp_path)


def test_a_raw_sqlite_connection_without_the_functions_cannot_write(
    sqlite_flush_guard: None, tmp_path: Path
) -> None:
    if connection.vendor == "postgresql":
        # PostgreSQL's equivalent: a raw UPDATE without the service's context is refused.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO catalog_hospital (code, name, town, department) "
                "VALUES ('X', 'n', 't', '59')"
            )
        with pytest.raises(DatabaseError, match="needs a reason"), connection.cursor() as cursor:
            cursor.execute("UPDATE catalog_hospital SET town = 'y' WHERE code = 'X'")
        return
    path = tmp_path / "copy.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    try:
        with pytest.raises(sqlite3.OperationalError, match="rempart_audit"):
            target.execute(
                "INSERT INTO catalog_hospital (code, name, town, department) "
                "VALUES ('X', 'n', 't', '59')"
            )
    finally:
        target.close()
