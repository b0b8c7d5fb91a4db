"""Every GMP model is captured by the triggers, through the services and every bypass path:
queryset.update(), bulk_create(), bulk_update() and raw SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection, models, transaction

from rempart.mes.accounts.models import Qualification, User
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.audit.models import AuditEntry
from rempart.mes.audit.registry import specs
from rempart.mes.batches.models import (
    Batch,
    BatchEvent,
    ComponentLot,
    Decontamination,
    FormatPartsSet,
    LineClearance,
    PreparationStep,
)
from rempart.mes.catalog.models import Hospital, MasterRecord, Molecule, Product, Site, VialFormat
from rempart.mes.machine.models import Alarm, DataGap, Intervention, Reconciliation
from rempart.mes.quality.models import Deviation, DeviationBatch
from rempart.mes.signatures.models import Signature

from .batches.factories import batch_records, free_batch_id, free_component_step
from .conftest import World
from .labels import audit_cases as labels_cases
from .machine import audit_cases as machine_cases
from .planboard import audit_cases as planboard_cases
from .qc import audit_cases as qc_cases
from .records import audit_cases as records_cases
from .release import audit_cases as release_cases
from .stock import audit_cases as stock_cases

#: Apps that keep their own audit cases beside their tests, in creation order (a later app's
#: records may use an earlier one's).
APP_CASES = (
    machine_cases,
    qc_cases,
    release_cases,
    records_cases,
    labels_cases,
    stock_cases,
    planboard_cases,
)

ACTOR = Actor("user:99:tester", "Tess Tester", "qa_reviewer", "req-123")


def _suffix(field: str) -> Callable[[Any], None]:
    def change(obj: Any) -> None:
        setattr(obj, field, f"{getattr(obj, field)}-2")

    return change


def _next_version(obj: Any) -> None:
    obj.version += 10
    obj.state = "draft"


#: model → (a text column a change can touch, how to make a clone unique).
CASES: dict[type[models.Model], tuple[str, Callable[[Any], None]]] = {
    Hospital: ("town", _suffix("code")),
    Site: ("name", _suffix("code")),
    Molecule: ("cis_codes", _suffix("inn")),
    VialFormat: ("code", _suffix("code")),
    Product: ("name", _suffix("code")),
    MasterRecord: ("diluent", _next_version),
    User: ("printed_name", _suffix("username")),
    Qualification: ("evidence", lambda obj: None),
    Signature: ("comment", lambda obj: None),
    Batch: ("line_id", _suffix("batch_number")),
    BatchEvent: ("reason", lambda obj: None),
    LineClearance: ("checks", free_batch_id),
    Decontamination: ("method", _suffix("cycle_id")),
    FormatPartsSet: ("sterilisation_cycle", _suffix("set_code")),
    PreparationStep: ("comment", _suffix("step")),
    ComponentLot: ("lot_number", free_component_step),
    Deviation: ("investigation", lambda obj: None),
    DeviationBatch: ("batch_number", _suffix("batch_number")),
    Alarm: ("message", _suffix("alarm_id")),
    Intervention: ("name", _suffix("intervention_id")),
    Reconciliation: ("reason", _suffix("batch_number")),
    DataGap: ("resolution", _suffix("batch_number")),
}
for _app in APP_CASES:
    CASES.update(_app.CASES)


@pytest.fixture(autouse=True)
def _batch_execution_records(world: World) -> None:
    batch_records(world)
    for app in APP_CASES:
        app.records(world)


def test_every_registered_gmp_model_has_a_case() -> None:
    assert {spec.model for spec in specs()} == set(CASES)


def _entries(model: type[models.Model], key: object, action: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(entity=model._meta.db_table, entity_key=str(key), action=action)
    )


def _append_only(model: type[models.Model]) -> bool:
    return next(s.append_only for s in specs() if s.model is model)


@pytest.mark.parametrize("model", list(CASES), ids=lambda m: m.__name__)
def test_queryset_update_is_captured_with_context_and_needs_a_reason(
    world: World, model: type[models.Model]
) -> None:
    field, _ = CASES[model]
    obj = model._default_manager.first()
    assert obj is not None
    old = getattr(obj, field)
    if _append_only(model):
        with pytest.raises(DatabaseError, match="append-only"), audited_write(ACTOR, reason="x"):
            model._default_manager.filter(pk=obj.pk).update(**{field: "changed"})
        return
    with pytest.raises(DatabaseError, match="needs a reason"), transaction.atomic():
        model._default_manager.filter(pk=obj.pk).update(**{field: "changed"})
    with audited_write(ACTOR, reason="typo in the record"):
        model._default_manager.filter(pk=obj.pk).update(**{field: "changed"})
    [entry] = [e for e in _entries(model, obj.pk, "UPDATE") if e.field == field]
    assert (entry.old_value, entry.new_value) == (str(old), "changed")
    assert (entry.user_id, entry.printed_name, entry.role) == (
        "user:99:tester",
        "Tess Tester",
        "qa_reviewer",
    )
    assert (entry.reason, entry.request_id) == ("typo in the record", "req-123")
    assert entry.recorded_at.endswith("Z")


@pytest.mark.parametrize("model", list(CASES), ids=lambda m: m.__name__)
def test_bulk_create_is_captured_field_by_field(world: World, model: type[models.Model]) -> None:
    _, make_unique = CASES[model]
    obj = model._default_manager.first()
    assert obj is not None
    obj.pk = None
    make_unique(obj)
    before = AuditEntry.objects.count()
    with audited_write(ACTOR):
        [created] = model._default_manager.bulk_create([obj])
    key = created.pk or model._default_manager.order_by("-pk").values_list("pk", flat=True)[0]
    fields = {e.field for e in _entries(model, key, "INSERT")}
    expected = {
        f.column for f in model._meta.concrete_fields if getattr(obj, f.attname) is not None
    }
    assert expected <= fields
    assert AuditEntry.objects.count() > before


@pytest.mark.parametrize("model", list(CASES), ids=lambda m: m.__name__)
def test_bulk_update_is_captured(world: World, model: type[models.Model]) -> None:
    field, _ = CASES[model]
    objs = list(model._default_manager.all()[:2])
    for obj in objs:
        setattr(obj, field, "bulk")
    if _append_only(model):
        with pytest.raises(DatabaseError), audited_write(ACTOR, reason="x"):
            model._default_manager.bulk_update(objs, [field])
        return
    with audited_write(ACTOR, reason="bulk correction"):
        model._default_manager.bulk_update(objs, [field])
    for obj in objs:
        [entry] = [e for e in _entries(model, obj.pk, "UPDATE") if e.field == field]
        assert entry.new_value == "bulk"
        assert entry.reason == "bulk correction"


@pytest.mark.parametrize("model", list(CASES), ids=lambda m: m.__name__)
def test_raw_sql_update_is_refused_without_reason_and_captured_with_one(
    world: World, model: type[models.Model]
) -> None:
    field, _ = CASES[model]
    obj = model._default_manager.first()
    assert obj is not None
    table = model._meta.db_table
    sql = f'UPDATE "{table}" SET "{field}" = %s WHERE "id" = %s'
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, ["raw", obj.pk])
    if _append_only(model):
        return
    with audited_write(ACTOR, reason="raw fix"), connection.cursor() as cursor:
        cursor.execute(sql, ["raw", obj.pk])
    [entry] = [e for e in _entries(model, obj.pk, "UPDATE") if e.field == field]
    assert (entry.new_value, entry.reason) == ("raw", "raw fix")


def test_raw_insert_without_context_is_attributed_to_the_database_account(world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO catalog_hospital (code, name, town, department) "
            "VALUES ('RAW', 'Raw', 'Lille', '59')"
        )
    hospital = Hospital.objects.get(code="RAW")
    entries = _entries(Hospital, hospital.pk, "INSERT")
    assert {e.field for e in entries} == {"id", "code", "name", "town", "department"}
    assert all(e.user_id.startswith("db:") and e.printed_name == "unknown" for e in entries)


@pytest.mark.parametrize("model", list(CASES), ids=lambda m: m.__name__)
def test_deleting_a_gmp_record_is_refused_by_the_database(
    world: World, model: type[models.Model]
) -> None:
    obj = model._default_manager.first()
    assert obj is not None
    with (
        pytest.raises(DatabaseError, match=r"never deleted|append-only"),
        audited_write(ACTOR, reason="try"),
        connection.cursor() as cursor,
    ):
        cursor.execute(f'DELETE FROM "{model._meta.db_table}" WHERE id = %s', [obj.pk])
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_secrets_are_redacted_in_the_trail(world: World) -> None:
    user = world.users["technician"]
    user.set_password("Another-long-password-1")
    with audited_write(ACTOR, reason="password change"):
        user.save(update_fields=["password"])
    [entry] = [e for e in _entries(User, user.pk, "UPDATE") if e.field == "password"]
    assert (entry.old_value, entry.new_value) == ("[redacted]", "[redacted]")
    inserted = [e for e in _entries(User, user.pk, "INSERT") if e.field == "totp_secret"]
    assert inserted[0].new_value == "[redacted]"


def test_unchanged_save_needs_no_reason_and_writes_nothing(world: World) -> None:
    before = AuditEntry.objects.count()
    Hospital.objects.filter(pk=world.hospital_a.pk).update(town="Lille")
    assert AuditEntry.objects.count() == before
