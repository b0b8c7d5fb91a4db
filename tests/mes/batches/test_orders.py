"""Batch orders: envelope checks, lifecycle events, signed line clearance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rempart.mes.batches.models import Batch, BatchEvent, Decontamination
from rempart.mes.batches.services import (
    clearance_verified,
    create_batch_order,
    schedule_batch,
    sign_line_clearance,
)
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from tests.mes.conftest import PASSWORD, World

from .conftest import totp
from .factories import line_ready, prepare

PLANNED = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def order(world: World, record: MasterRecord, quantity: int = 600, number: str = "B-1") -> Batch:
    """An order on a line with a valid decontamination and format parts (made if missing)."""
    if not Decontamination.objects.exists():
        line_ready(world)
    return create_batch_order(
        world.users["technician"],
        batch_number=number,
        master_record=record,
        quantity_vials=quantity,
        planned_start=PLANNED,
    )


def test_an_order_keeps_the_master_record_version_and_starts_planned(
    world: World, twin_record: MasterRecord
) -> None:
    batch = order(world, twin_record)
    assert (batch.state, batch.master_record_id, batch.product_id) == (
        "planned",
        twin_record.pk,
        twin_record.product_id,
    )
    assert list(BatchEvent.objects.filter(batch=batch).values_list("target", flat=True)) == [
        "planned"
    ]


@pytest.mark.parametrize(
    ("quantity", "field"),
    [(5001, "quantity_vials"), (0, "quantity_vials")],
)
def test_an_order_outside_the_envelope_is_refused_naming_the_field(
    world: World, twin_record: MasterRecord, quantity: int, field: str
) -> None:
    with pytest.raises(Refused) as caught:
        order(world, twin_record, quantity)
    assert caught.value.field == field
    assert not Batch.objects.exists()


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("", "must not be empty"),
        ("B-" + "9" * 19, "at most 20 characters"),
        ("B\x00\x00", "outside GS1 set 82"),
        ("LOT 7", "outside GS1 set 82"),
        ("B(1)", "no parentheses"),
    ],
)
def test_a_batch_number_must_be_able_to_be_its_lots_gs1_number(
    world: World, twin_record: MasterRecord, number: str, why: str
) -> None:
    with pytest.raises(Refused, match=why) as caught:
        order(world, twin_record, number=number)
    assert caught.value.field == "batch_number"
    assert not Batch.objects.exists()
    assert order(world, twin_record, number="B-" + "9" * 18).batch_number == "B-" + "9" * 18


def test_absurd_quantities_and_starts_are_refused_before_any_arithmetic(
    world: World, twin_record: MasterRecord
) -> None:
    line_ready(world)
    for changes, field in (
        ({"quantity_vials": 10**30}, "quantity_vials"),
        ({"planned_start": datetime(9999, 12, 31, 23, 59, tzinfo=UTC)}, "planned_start"),
        ({"planned_start": datetime(1, 1, 1, tzinfo=UTC)}, "planned_start"),
    ):
        arguments = {"quantity_vials": 600, "planned_start": PLANNED, **changes}
        with pytest.raises(Refused) as caught:
            create_batch_order(
                world.users["technician"],
                batch_number="B-1",
                master_record=twin_record,
                **arguments,  # type: ignore[arg-type]
            )
        assert caught.value.field == field
    assert not Batch.objects.exists()


def test_an_order_longer_than_the_validated_duration_is_refused(
    world: World, twin_record: MasterRecord
) -> None:
    twin_record.envelope_max_duration_h = 1
    with pytest.raises(Refused, match="h exceeds") as caught:
        order(world, twin_record, 601)
    assert caught.value.field == "expected_duration_h"
    assert not Batch.objects.exists()


def test_an_order_needs_an_approved_record_and_a_production_role(
    world: World, twin_record: MasterRecord
) -> None:
    with pytest.raises(NotPermitted):
        create_batch_order(
            world.users["qc"],
            batch_number="B-2",
            master_record=twin_record,
            quantity_vials=10,
            planned_start=PLANNED,
        )
    draft = world.record
    draft.state = "draft"
    with pytest.raises(Refused) as caught:
        order(world, draft)
    assert caught.value.field == "master_record"


def test_line_clearance_is_performed_then_verified_by_another_person(
    world: World, twin_record: MasterRecord
) -> None:
    tech, pharma = world.users["technician"], world.users["pharmacist"]
    batch = schedule_batch(tech, prepare(world, order(world, twin_record)))
    sign_line_clearance(
        tech,
        batch,
        meaning="performed",
        password=PASSWORD,
        totp_code=totp(tech),
        checks="no previous batch material; labels removed",
    )
    batch.refresh_from_db()
    assert batch.state == "line_clearance"
    with pytest.raises(NotPermitted, match="verifier"):
        sign_line_clearance(
            tech, batch, meaning="verified", password=PASSWORD, totp_code=totp(tech)
        )
    assert not clearance_verified(batch)
    sign_line_clearance(
        pharma, batch, meaning="verified", password=PASSWORD, totp_code=totp(pharma)
    )
    assert clearance_verified(batch)
    with pytest.raises(Conflict):
        sign_line_clearance(
            pharma, batch, meaning="verified", password=PASSWORD, totp_code=totp(pharma)
        )


def test_a_wrong_code_signs_nothing(world: World, twin_record: MasterRecord) -> None:
    tech = world.users["technician"]
    batch = schedule_batch(tech, order(world, twin_record))
    with pytest.raises(Refused) as caught:
        sign_line_clearance(
            tech, batch, meaning="performed", password=PASSWORD, totp_code="000000", checks="x"
        )
    assert caught.value.field == "totp_code"
    batch.refresh_from_db()
    assert batch.state == "scheduled"
