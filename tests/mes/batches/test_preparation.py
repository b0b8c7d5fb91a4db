"""Preparation: the compounding sheet for the batch quantity, component lots identified by
scanning (a wrong or expired component is refused), each step performed then verified by
another qualified person, in order; the line clearance needs it complete."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from rempart.domain.roles import Role
from rempart.mes.batches.models import Batch, ComponentLot, PreparationStep
from rempart.mes.batches.preparation import (
    compounding_sheet,
    expected_codes,
    formula_for,
    sign_preparation_step,
)
from rempart.mes.batches.services import schedule_batch, sign_line_clearance
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.signatures.models import Signature
from tests.mes.conftest import PASSWORD, World, make_user

from .conftest import totp
from .factories import prepare
from .test_orders import order

FUTURE = datetime.now(UTC).date() + timedelta(days=200)


def perform(
    world: World, batch: Batch, step: str, who: str = "technician", **extra: object
) -> PreparationStep:
    user = world.users[who]
    return sign_preparation_step(
        user,
        batch,
        step=step,
        meaning="performed",
        password=PASSWORD,
        totp_code=totp(user),
        **extra,  # type: ignore[arg-type]
    )


def verify(world: World, batch: Batch, step: str, who: str = "pharmacist") -> PreparationStep:
    user = world.users[who]
    return sign_preparation_step(
        user, batch, step=step, meaning="verified", password=PASSWORD, totp_code=totp(user)
    )


def test_the_sheet_is_computed_for_the_batch_quantity(
    world: World, twin_record: MasterRecord
) -> None:
    batch = order(world, twin_record, 1000)
    formula = formula_for(batch)
    # 1,000 × 10.5 mL + 150 mL dead volume + 50 mL losses; 2 mg/mL.
    assert formula.bulk_volume.amount == Decimal("10700")
    assert formula.api_quantity.amount == Decimal("21400")
    assert expected_codes(batch)["api"] == "API-M03AC11"
    sheet = compounding_sheet(batch)
    assert sheet.next == ("api", "performed")
    assert not sheet.complete


def test_a_wrong_or_expired_component_is_refused_and_nothing_is_stored(
    world: World, twin_record: MasterRecord
) -> None:
    batch = order(world, twin_record)
    signatures = Signature.objects.count()
    with pytest.raises(Refused, match="expects API-M03AC11") as caught:
        perform(world, batch, "api", item_code="API-M03AC09", lot_number="L1", expiry=FUTURE)
    assert caught.value.field == "item_code"
    with pytest.raises(Refused, match="expired on") as caught:
        perform(
            world,
            batch,
            "api",
            item_code="API-M03AC11",
            lot_number="L1",
            expiry=date(2020, 1, 1),
        )
    assert caught.value.field == "expiry"
    assert not PreparationStep.objects.exists()
    assert not ComponentLot.objects.exists()
    assert Signature.objects.count() == signatures
    perform(world, batch, "api", item_code="api-m03ac11", lot_number=" L1 ", expiry=FUTURE)
    lot = ComponentLot.objects.get(batch=batch)
    assert (lot.role, lot.item_code, lot.lot_number, lot.expiry) == (
        "api",
        "API-M03AC11",
        "L1",
        FUTURE,
    )


def test_steps_go_in_order_and_the_verifier_is_another_person(
    world: World, twin_record: MasterRecord
) -> None:
    batch = order(world, twin_record)
    codes = expected_codes(batch)
    with pytest.raises(Conflict, match="api step must be performed and verified"):
        perform(world, batch, "diluent", item_code=codes["diluent"], lot_number="D", expiry=FUTURE)
    perform(world, batch, "api", item_code=codes["api"], lot_number="A", expiry=FUTURE)
    with pytest.raises(NotPermitted, match="another person") as caught:
        verify(world, batch, "api", who="technician")
    assert caught.value.field == "user"
    with pytest.raises(Conflict, match="api step must be performed and verified"):
        perform(world, batch, "diluent", item_code=codes["diluent"], lot_number="D", expiry=FUTURE)
    verify(world, batch, "api")
    with pytest.raises(Conflict, match="already verified"):
        verify(world, batch, "api")
    perform(world, batch, "diluent", item_code=codes["diluent"], lot_number="D", expiry=FUTURE)
    verify(world, batch, "diluent")
    formula = formula_for(batch)
    with pytest.raises(Refused) as caught:
        perform(
            world,
            batch,
            "compounding",
            api_mg=formula.api_quantity.amount * 2,
            volume_ml=formula.bulk_volume.amount,
        )
    assert caught.value.field == "api_mg"
    with pytest.raises(Refused) as caught:
        perform(world, batch, "compounding", api_mg="abc", volume_ml="1")
    assert caught.value.field == "api_mg"
    perform(
        world,
        batch,
        "compounding",
        api_mg=formula.api_quantity.amount,
        volume_ml=formula.bulk_volume.amount,
        comment="clear solution",
    )
    assert compounding_sheet(batch).next == ("compounding", "verified")


def test_an_unqualified_or_unpermitted_person_cannot_sign_a_step(
    world: World, twin_record: MasterRecord
) -> None:
    batch = order(world, twin_record)
    codes = expected_codes(batch)
    with pytest.raises(NotPermitted):
        perform(
            world, batch, "api", who="qa", item_code=codes["api"], lot_number="A", expiry=FUTURE
        )
    novice = make_user("novice", Role.TECHNICIAN)
    with pytest.raises(NotPermitted, match="not qualified") as caught:
        sign_preparation_step(
            novice,
            batch,
            step="api",
            meaning="performed",
            password=PASSWORD,
            totp_code=totp(novice),
            item_code=codes["api"],
            lot_number="A",
            expiry=FUTURE,
        )
    assert caught.value.field == "qualification"
    assert not PreparationStep.objects.exists()


def test_clearance_needs_a_complete_preparation_and_preparation_ends_there(
    world: World, twin_record: MasterRecord
) -> None:
    tech = world.users["technician"]
    batch = schedule_batch(tech, order(world, twin_record))
    with pytest.raises(Conflict) as caught:
        sign_line_clearance(
            tech, batch, meaning="performed", password=PASSWORD, totp_code=totp(tech), checks="ok"
        )
    assert caught.value.field == "preparation"
    prepare(world, batch)
    assert compounding_sheet(batch).complete
    assert ComponentLot.objects.filter(batch=batch).count() == 4
    sign_line_clearance(
        tech, batch, meaning="performed", password=PASSWORD, totp_code=totp(tech), checks="ok"
    )
    batch.refresh_from_db()
    with pytest.raises(Conflict) as caught:
        verify(world, batch, "caps")
    assert caught.value.field == "state"
