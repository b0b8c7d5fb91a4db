"""The journal's seal (decision note 0011): MachineEvent is append-only in the database, each
stored page is sealed by one audited JournalPage, and any change made behind the ingester's
back — even by someone able to switch the guard triggers off — is found by the verifier."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from django.db import DatabaseError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rempart.cli.audit import app as audit_cli
from rempart.mes.audit.chain import verify_database
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.audit.models import AuditEntry
from rempart.mes.machine import seal
from rempart.mes.machine.models import JournalPage, MachineEvent
from rempart.mes.machine.services import ingest_machine_events

from .test_ingestion import JOURNAL

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(value=json_values)
def test_the_fast_canonical_form_is_rfc8785(value: Any) -> None:
    assert seal.canonical(value) == bytes(rfc8785.dumps(value))


@pytest.mark.parametrize(
    "value",
    [
        21.0,
        -0.0,
        [-0.0, 1.0],
        1e-5,
        1e-7,
        1e16,
        9007199254740994.0,
        1.5e300,
        0.1,
        123456.789,
        1e21,
        {"é": 1, "z": 2, "😀": 3},
        {"a": "v1.0,", "b": 2.0},
        {"a": "x1.0}", "b": [3.0]},
        ["2e5", 4.0],
        {"k": "-0.0]", "n": -0.0},
    ],
)
def test_numbers_and_keys_where_python_and_ecmascript_differ(value: Any) -> None:
    assert seal.canonical(value) == bytes(rfc8785.dumps(value))


def test_the_journal_entries_hash_as_rfc8785() -> None:
    for entry in JOURNAL:
        text = seal.entry_text(
            entry["line"],
            entry["sequence"],
            entry["kind"],
            entry["batch_id"],
            entry["timestamp"],
            seal.canonical_text(entry["data"]),
        )
        assert text.encode() == bytes(rfc8785.dumps(entry))


@given(st.sets(st.integers(1, 60)))
def test_sequence_ranges_round_trip(sequences: set[int]) -> None:
    text = seal.ranges_text(sequences)
    assert list(seal.parse_ranges(text)) == sorted(sequences)


def test_each_page_is_sealed_once_with_a_few_audit_entries(db: None) -> None:
    before = AuditEntry.objects.count()
    ingest_machine_events("LINE-1", JOURNAL[:100])
    ingest_machine_events("LINE-1", JOURNAL[50:])  # half a replay
    ingest_machine_events("LINE-1", JOURNAL)  # a whole replay: nothing to seal
    pages = list(JournalPage.objects.order_by("first_sequence"))
    assert [(p.first_sequence, p.last_sequence, p.count) for p in pages] == [
        (1, 100, 100),
        (101, len(JOURNAL), len(JOURNAL) - 100),
    ]
    stored = json.loads(json.dumps(list(MachineEvent.objects.values_list("data", flat=True))))
    assert stored == [e["data"] for e in JOURNAL]
    page_entries = AuditEntry.objects.filter(entity="machine_journalpage").count()
    assert page_entries == 2 * 8  # one row per column of each JournalPage
    assert not AuditEntry.objects.filter(entity="machine_machineevent").exists()
    assert AuditEntry.objects.count() - before < len(JOURNAL)  # not one per entry any more
    verdict = seal.verify_journal("LINE-1")
    assert (verdict.ok, verdict.pages, verdict.entries) == (True, 2, len(JOURNAL))
    assert verify_database().ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE machine_machineevent SET kind = 'vial_processed' WHERE sequence = 3",
        "DELETE FROM machine_machineevent WHERE sequence = 3",
    ],
)
def test_the_database_refuses_to_change_a_stored_entry(db: None, statement: str) -> None:
    ingest_machine_events("LINE-1", JOURNAL[:10])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        audited_write(Actor.system("tests"), reason="try"),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert MachineEvent.objects.count() == 10


def _without_guards(*statements: str) -> None:
    """What a database superuser can do: switch the guards off and change rows by hand."""
    with connection.cursor() as cursor:
        for operation in ("update", "delete"):
            name = f"rempart_guard_machine_machineevent_no{operation}"
            if connection.vendor == "postgresql":
                cursor.execute(f'DROP TRIGGER {name} ON "machine_machineevent"')
            else:
                cursor.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            cursor.execute(statement)


def _vial_sequence() -> int:
    return next(e["sequence"] for e in JOURNAL if e["kind"] == "vial_processed")


def _tampered_data() -> str:
    vial = next(e for e in JOURNAL if e["kind"] == "vial_processed")
    data = {**vial["data"], "terminal_state": "accepted", "reject_reason": None}
    data["vial_sequence"] = data["vial_sequence"]
    data["stations"] = {**data["stations"], "note": "edited"}
    return json.dumps(data).replace("'", "''")


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (
            lambda s: [
                f"UPDATE machine_machineevent SET data = '{_tampered_data()}' WHERE sequence = {s}"
            ],
            "differ from the sealed digest",
        ),
        (
            lambda s: [
                f"UPDATE machine_machineevent SET timestamp = '2026-01-05 00:00:00' "
                f"WHERE sequence = {s}"
            ],
            "differ from the sealed digest",
        ),
        (
            lambda s: [f"UPDATE machine_machineevent SET batch_number = NULL WHERE sequence = {s}"],
            "differ from the sealed digest",
        ),
        (lambda s: [f"DELETE FROM machine_machineevent WHERE sequence = {s}"], "missing"),
        (
            lambda s: [
                "INSERT INTO machine_machineevent (line_id, sequence, kind, batch_number, "
                "timestamp, data) VALUES ('LINE-1', 100000, 'vial_processed', 'H-001', "
                "'2026-01-05 10:00:00', '{}')"
            ],
            "not sealed by any page",
        ),
    ],
    ids=["data", "timestamp", "batch", "removed", "added"],
)
def test_a_change_behind_the_guards_is_found_by_the_verifier(
    db: None, change: Any, found: str
) -> None:
    ingest_machine_events("LINE-1", JOURNAL[:40])
    ingest_machine_events("LINE-1", JOURNAL[40:])
    assert seal.verify_journal("LINE-1").ok
    with transaction.atomic():
        _without_guards(*change(_vial_sequence()))
        verdict = seal.verify_journal("LINE-1")
        transaction.set_rollback(True)
    assert not verdict.ok
    assert found in " ".join(verdict.problems)
    assert verify_database().ok  # the chain itself is intact: the seal is what catches it


def test_audit_verify_reports_a_tampered_journal_and_exits_1(db: None) -> None:
    ingest_machine_events("LINE-1", JOURNAL[:40])
    ingest_machine_events("LINE-1", JOURNAL[40:])
    intact = CliRunner().invoke(audit_cli, ["verify"])
    assert intact.exit_code == 0, intact.output
    assert f"line journal LINE-1 intact: {len(JOURNAL)} entries in 2 sealed pages" in (
        intact.output
    )
    with transaction.atomic():
        _without_guards(f"DELETE FROM machine_machineevent WHERE sequence = {_vial_sequence()}")
        tampered = CliRunner().invoke(audit_cli, ["verify"])
        transaction.set_rollback(True)
    assert tampered.exit_code == 1
    assert "line journal LINE-1 TAMPERED" in tampered.output
