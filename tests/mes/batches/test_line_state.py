"""The line state: decontaminations and format parts recorded and signed by two people;
ordering and sending a batch refused, naming the field, without a valid one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches import line_state
from rempart.mes.batches.demo import load_line_state
from rempart.mes.batches.models import Batch, Decontamination, FormatPartsSet
from rempart.mes.batches.services import (
    create_batch_order,
    schedule_batch,
    send_to_line,
    sign_line_clearance,
)
from rempart.mes.catalog.models import MasterRecord, VialFormat
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from tests.mes.conftest import PASSWORD, World

from .conftest import totp
from .factories import line_ready, prepare
from .test_orders import PLANNED, order

NOW = datetime.now(UTC).replace(microsecond=0)


def new_order(world: World, record: MasterRecord, number: str = "LS-1") -> Batch:
    return create_batch_order(
        world.users["technician"],
        batch_number=number,
        master_record=record,
        quantity_vials=300,
        planned_start=PLANNED,
    )


def record_decon(world: World, who: str = "technician", **changes: object) -> Decontamination:
    user = world.users[who]
    values: dict[str, object] = {
        "cycle_id": "VHP-100",
        "done_at": NOW - timedelta(hours=1),
        "valid_until": NOW + timedelta(days=2),
        "password": PASSWORD,
        "totp_code": totp(user),
        **changes,
    }
    return line_state.record_decontamination(user, **values)  # type: ignore[arg-type]


def record_parts(world: World, fmt: VialFormat, **changes: object) -> FormatPartsSet:
    user = world.users["technician"]
    values: dict[str, object] = {
        "set_code": "FP-V10-1",
        "vial_format": fmt,
        "cleaned_at": NOW - timedelta(hours=5),
        "sterilised_at": NOW - timedelta(hours=2),
        "valid_until": NOW + timedelta(days=10),
        "sterilisation_cycle": "AUTOCLAVE-7",
        "password": PASSWORD,
        "totp_code": totp(user),
        **changes,
    }
    return line_state.record_format_parts(user, **values)  # type: ignore[arg-type]


def test_an_order_is_refused_until_the_line_is_decontaminated_and_has_format_parts(
    world: World, twin_record: MasterRecord
) -> None:
    tech, pharma = world.users["technician"], world.users["pharmacist"]
    with pytest.raises(Refused, match="no decontamination") as caught:
        new_order(world, twin_record)
    assert caught.value.field == "decontamination"
    decon = record_decon(world)
    with pytest.raises(Refused, match="not signed performed and verified") as caught:
        new_order(world, twin_record)
    assert caught.value.field == "decontamination"
    with pytest.raises(NotPermitted, match="verifier"):
        line_state.verify(tech, decon, password=PASSWORD, totp_code=totp(tech))
    line_state.verify(pharma, decon, password=PASSWORD, totp_code=totp(pharma))
    with pytest.raises(Conflict, match="already verified"):
        line_state.verify(pharma, decon, password=PASSWORD, totp_code=totp(pharma))
    with pytest.raises(Refused, match="no format parts set for vial format V10") as caught:
        new_order(world, twin_record)
    assert caught.value.field == "format_parts"
    # Parts for another format do not count.
    other = VialFormat.objects.create(code="V20", nominal_volume_ml=20)
    parts = record_parts(world, other, set_code="FP-V20")
    line_state.verify(pharma, parts, password=PASSWORD, totp_code=totp(pharma))
    with pytest.raises(Refused) as caught:
        new_order(world, twin_record)
    assert caught.value.field == "format_parts"
    parts = record_parts(world, twin_record.product.vial_format)
    line_state.verify(pharma, parts, password=PASSWORD, totp_code=totp(pharma))
    assert not Batch.objects.exists()
    assert new_order(world, twin_record).state == "planned"


def test_an_expired_decontamination_refuses_the_order_naming_the_field(
    world: World, twin_record: MasterRecord
) -> None:
    line_ready(world, now=NOW - timedelta(days=5))  # valid three days from then: expired
    with pytest.raises(Refused, match="expired at") as caught:
        new_order(world, twin_record)
    assert caught.value.field == "decontamination"
    assert not Batch.objects.exists()


def test_sending_to_the_line_is_refused_when_the_decontamination_expired_meanwhile(
    world: World, twin_record: MasterRecord
) -> None:
    tech, pharma = world.users["technician"], world.users["pharmacist"]
    decon, _ = line_ready(world)
    batch = schedule_batch(tech, prepare(world, new_order(world, twin_record)))
    sign_line_clearance(
        tech, batch, meaning="performed", password=PASSWORD, totp_code=totp(tech), checks="ok"
    )
    sign_line_clearance(
        pharma, batch, meaning="verified", password=PASSWORD, totp_code=totp(pharma)
    )
    batch.refresh_from_db()
    with audited_write(Actor.system("tests"), reason="the cycle's validity ended"):
        Decontamination.objects.filter(pk=decon.pk).update(valid_until=NOW - timedelta(minutes=1))
    with pytest.raises(Refused) as caught:
        send_to_line(tech, batch, "opc.tcp://127.0.0.1:9/unused")
    assert caught.value.field == "decontamination"
    batch.refresh_from_db()
    assert batch.state == "line_clearance"
    assert batch.decontamination_id is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cycle_id": " "}, "cycle_id"),
        ({"done_at": NOW + timedelta(hours=1)}, "done_at"),
        ({"valid_until": NOW - timedelta(hours=2)}, "valid_until"),
        ({"valid_until": NOW + timedelta(days=30)}, "valid_until"),
        ({"done_at": datetime(2026, 1, 1, 8, 0)}, "done_at"),
        ({"totp_code": "000000"}, "totp_code"),
        # Column limits (core/columns.py): PostgreSQL refused these with an error 500.
        ({"cycle_id": "C" * 61}, "cycle_id"),
        ({"method": "M" * 21}, "method"),
    ],
)
def test_a_bad_decontamination_is_refused_naming_the_field(
    world: World, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(Refused) as caught:
        record_decon(world, **changes)
    assert caught.value.field == field
    assert not Decontamination.objects.exists()


def test_a_bad_format_parts_set_is_refused_and_roles_are_checked(world: World) -> None:
    fmt = world.product.vial_format
    with pytest.raises(Refused) as caught:
        record_parts(world, fmt, cleaned_at=NOW - timedelta(hours=1))
    assert caught.value.field == "cleaned_at"
    with pytest.raises(Refused) as caught:
        record_parts(world, fmt, valid_until=NOW + timedelta(days=60))
    assert caught.value.field == "valid_until"
    with pytest.raises(NotPermitted):
        record_decon(world, who="qa")
    assert not FormatPartsSet.objects.exists()


def test_the_line_state_page_records_and_verifies(world: World, twin_record: MasterRecord) -> None:
    tech, pharma, qc = Client(), Client(), Client()
    tech.force_login(world.users["technician"])
    pharma.force_login(world.users["pharmacist"])
    qc.force_login(world.users["qc"])
    form = {
        "kind": "decontamination",
        "cycle_id": "VHP-PAGE",
        "method": "VHP",
        "done_at": (NOW - timedelta(hours=1)).astimezone().strftime("%Y-%m-%dT%H:%M"),
        "valid_until": (NOW + timedelta(days=2)).astimezone().strftime("%Y-%m-%dT%H:%M"),
        "password": PASSWORD,
        "totp_code": totp(world.users["technician"]),
    }
    bad = tech.post("/batches/line-state/", {**form, "done_at": "yesterday"})
    assert "done_at: enter a date and time" in bad.content.decode()
    assert tech.post("/batches/line-state/", form).status_code == 302
    decon = Decontamination.objects.get()
    page = tech.get("/batches/line-state/").content.decode()
    assert "VHP-PAGE" in page
    assert "not verified" in page
    verified = pharma.post(
        "/batches/line-state/",
        {
            "kind": "verify_decontamination",
            "pk": decon.pk,
            "password": PASSWORD,
            "totp_code": totp(world.users["pharmacist"]),
        },
        follow=True,
    ).content.decode()
    assert "performed and verified" in verified, verified[verified.find("<main") :][:600]
    seen = qc.get("/batches/line-state/")
    assert seen.status_code == 200
    assert "Record a decontamination" not in seen.content.decode()
    assert Client().get("/batches/line-state/").status_code == 302


def test_the_demo_line_state_lets_a_demo_batch_be_ordered(world: World) -> None:
    # The demo signs with its technician and pharmacist: stand-ins with those names.
    for name, username in (("technician", "preparateur"), ("pharmacist", "pharmacien")):
        user = world.users[name]
        with audited_write(Actor.system("tests"), reason="demo user names"):
            type(user).objects.filter(pk=user.pk).update(username=username)
    messages: list[str] = []
    load_line_state(Actor.system("load-demo"), messages.append)
    assert "2 records signed" in messages[0]
    line_state.check_line_ready("LINE-1", world.product.vial_format, NOW + timedelta(days=2))
    load_line_state(Actor.system("load-demo"), messages.append)
    assert "0 records signed" in messages[1]
    assert order(world, world.record, 100, "DEMO-1").state == "planned"
