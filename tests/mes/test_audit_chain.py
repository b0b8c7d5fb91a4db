"""The trail is append-only, hash-chained, verifiable, and its capture fails closed."""

from __future__ import annotations

import hashlib

import pytest
import rfc8785
from django.db import DatabaseError, connection, transaction
from django.test import Client
from typer.testing import CliRunner

from rempart.cli.audit import app as audit_cli
from rempart.mes.audit.chain import HASHED_FIELDS, entry_hash, verify_database
from rempart.mes.audit.context import Actor, AuditCaptureMissing, audited_write
from rempart.mes.audit.models import AuditEntry
from rempart.mes.catalog.models import Hospital

from .conftest import World

TRICKY = 'Kétamine "10" \\ / \x00\x01\x08\t\n\x0c\r\x1f\x7f € 𝄞 \u2028'


def _drop(name: str, table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'DROP TRIGGER {name} ON "{table}"')
        else:
            cursor.execute(f"DROP TRIGGER {name}")


def test_database_hash_equals_rfc8785_for_tricky_text(world: World) -> None:
    # PostgreSQL NUL bytes are not allowed in text; SQLite keeps them: test what each stores.
    # rempart refuses NUL before any save (core/columns.py); bulk_create bypasses that check,
    # so the database's own hashing of a NUL is still tested where it can be stored.
    name = TRICKY if connection.vendor == "sqlite" else TRICKY.replace("\x00", "")
    with audited_write(Actor("user:1:é", "Zoé Ærøskøbing", "qa_reviewer", "r-1")):
        Hospital.objects.bulk_create(
            [Hospital(code="TRICKY", name=name, town="Lille", department="59")]
        )
    entry = AuditEntry.objects.get(entity="catalog_hospital", field="name", new_value=name)
    row = {f: getattr(entry, f) for f in HASHED_FIELDS}
    expected = hashlib.sha256(rfc8785.dumps(row)).hexdigest()
    assert entry.hash == expected == entry_hash(row)
    assert verify_database().ok


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_entry SET reason = 'x'", "DELETE FROM audit_entry"]
)
def test_audit_table_is_append_only(world: World, statement: str) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def test_tampering_is_reported_at_the_exact_sequence_number(world: World) -> None:
    target = AuditEntry.objects.order_by("seq")[5]
    assert verify_database().ok
    # A database superuser can remove the guard; the chain still tells.
    _drop("rempart_guard_audit_entry_noupdate", "audit_entry")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_entry SET new_value = 'forged' WHERE seq = %s", [target.seq])
    verdict = verify_database()
    assert verdict.first_broken_seq == target.seq
    assert "altered" in verdict.problem
    result = CliRunner().invoke(audit_cli, ["verify"])
    assert result.exit_code == 1
    assert f"BROKEN at sequence {target.seq}" in result.output


def test_a_deleted_entry_is_reported_as_missing(world: World) -> None:
    target = AuditEntry.objects.order_by("seq")[3]
    _drop("rempart_guard_audit_entry_nodelete", "audit_entry")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_entry WHERE seq = %s", [target.seq])
    verdict = verify_database()
    assert verdict.first_broken_seq == target.seq
    assert "missing" in verdict.problem


def test_verify_command_passes_on_an_intact_chain(world: World) -> None:
    result = CliRunner().invoke(audit_cli, ["verify"])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output


def test_health_is_503_and_writes_refused_when_a_capture_trigger_is_missing(world: World) -> None:
    assert Client().get("/health").status_code == 200
    name = (
        "rempart_audit_catalog_hospital"
        if connection.vendor == "postgresql"
        else "rempart_audit_catalog_hospital_upd"
    )
    _drop(name, "catalog_hospital")
    response = Client().get("/health")
    assert response.status_code == 503
    assert any(name in p for p in response.json()["problems"])
    with pytest.raises(AuditCaptureMissing, match=name), audited_write(Actor.system("tests")):
        Hospital.objects.create(code="NO", name="No", town="No", department="59")
    assert not Hospital.objects.filter(code="NO").exists()


def test_a_disabled_or_neutered_trigger_counts_as_missing(world: World) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                'ALTER TABLE "audit_entry" DISABLE TRIGGER rempart_guard_audit_entry_noupdate'
            )
            expected = "disabled"
        else:
            # SQLite cannot disable a trigger: the equivalent is replacing it with a no-op.
            cursor.execute("DROP TRIGGER rempart_guard_audit_entry_noupdate")
            cursor.execute(
                "CREATE TRIGGER rempart_guard_audit_entry_noupdate BEFORE UPDATE ON audit_entry "
                "BEGIN SELECT 1; END"
            )
            expected = "differs"
    response = Client().get("/health")
    assert response.status_code == 503
    assert expected in " ".join(response.json()["problems"])
    result = CliRunner().invoke(audit_cli, ["triggers"])
    assert result.exit_code == 1
