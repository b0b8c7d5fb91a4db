"""Acting from the pages: order (refusals shown naming the field), schedule, line clearance
by two people, sending to an unreachable line (refused, nothing changes), QA forms."""

from __future__ import annotations

from django.test import Client

from rempart.mes.batches.models import Batch
from rempart.mes.batches.preparation import expected_codes, formula_for
from rempart.mes.catalog.models import MasterRecord
from tests.mes.conftest import PASSWORD, World

from .conftest import totp
from .factories import line_ready


def logged_in(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


def test_a_batch_is_ordered_scheduled_and_cleared_from_the_pages(
    world: World, twin_record: MasterRecord
) -> None:
    tech, pharma = logged_in(world, "technician"), logged_in(world, "pharmacist")
    form = {
        "batch_number": "PG-001",
        "master_record": twin_record.pk,
        "quantity_vials": "9000",
        "planned_start": "2026-01-05T08:00",
    }
    refused = tech.post("/batches/new", {**form, "quantity_vials": "300"})
    assert "decontamination: no decontamination of the line" in refused.content.decode()
    line_ready(world)
    refused = tech.post("/batches/new", form)
    assert "quantity_vials: outside the validated envelope" in refused.content.decode()
    assert not Batch.objects.exists()
    done = tech.post("/batches/new", {**form, "quantity_vials": "300"})
    assert done.status_code == 302
    assert done["Location"] == "/batches/PG-001/"
    assert tech.post("/batches/PG-001/do/schedule").status_code == 302
    page = tech.get("/batches/PG-001/").content.decode()
    assert "Sign the line clearance" in page
    assert "Preparation: api — performed" in page
    # The clearance is refused while the preparation is not complete.
    early = tech.post(
        "/batches/PG-001/do/clearance",
        {
            "meaning": "performed",
            "checks": "line empty",
            "password": PASSWORD,
            "totp_code": totp(world.users["technician"]),
        },
        follow=True,
    ).content.decode()
    assert "preparation: the preparation is not complete" in early
    batch = Batch.objects.get(batch_number="PG-001")
    codes, formula = expected_codes(batch), formula_for(batch)
    wrong = tech.post(
        "/batches/PG-001/do/preparation",
        {
            "step": "api",
            "meaning": "performed",
            "item_code": "API-X",
            "lot_number": "L1",
            "expiry": "2099-01-01",
            "password": PASSWORD,
            "totp_code": totp(world.users["technician"]),
        },
        follow=True,
    ).content.decode()
    assert "item_code: wrong component for the api step" in wrong
    for step in ("api", "diluent", "compounding", "vials", "caps"):
        fields = (
            {
                "api_mg": str(formula.api_quantity.amount),
                "volume_ml": str(formula.bulk_volume.amount),
            }
            if step == "compounding"
            else {
                "item_code": codes[step].lower(),
                "lot_number": f"P-{step}",
                "expiry": "2099-01-01",
            }
        )
        tech.post(
            "/batches/PG-001/do/preparation",
            {
                "step": step,
                "meaning": "performed",
                "password": PASSWORD,
                "totp_code": totp(world.users["technician"]),
                **fields,
            },
        )
        pharma.post(
            "/batches/PG-001/do/preparation",
            {
                "step": step,
                "meaning": "verified",
                "password": PASSWORD,
                "totp_code": totp(world.users["pharmacist"]),
            },
        )
    page = tech.get("/batches/PG-001/").content.decode()
    assert "preparation complete" in page
    assert "P-caps" in page
    tech.post(
        "/batches/PG-001/do/clearance",
        {
            "meaning": "performed",
            "checks": "line empty",
            "password": PASSWORD,
            "totp_code": totp(world.users["technician"]),
        },
    )
    pharma.post(
        "/batches/PG-001/do/clearance",
        {
            "meaning": "verified",
            "password": PASSWORD,
            "totp_code": totp(world.users["pharmacist"]),
        },
    )
    batch = Batch.objects.get(batch_number="PG-001")
    assert batch.state == "line_clearance"
    page = tech.get("/batches/PG-001/").content.decode()
    assert page.count("— valid") == 12  # ten preparation signatures and the clearance's two
    assert "Send to the line" in page
    sent = tech.post("/batches/PG-001/do/send", follow=True).content.decode()
    assert "line: the line at" in sent
    batch.refresh_from_db()
    assert batch.state == "line_clearance"


def test_people_without_the_role_cannot_act(world: World, twin_record: MasterRecord) -> None:
    qc = logged_in(world, "qc")
    assert qc.get("/batches/new").status_code == 403
    assert Client().get("/batches/").status_code == 302


def test_a_batch_is_held_and_the_hold_lifted_with_a_reason(
    world: World, twin_record: MasterRecord
) -> None:
    line_ready(world)
    tech, qa = logged_in(world, "technician"), logged_in(world, "qa")
    tech.post(
        "/batches/new",
        {
            "batch_number": "HOLD-1",
            "master_record": twin_record.pk,
            "quantity_vials": "300",
            "planned_start": "2026-01-05T08:00",
        },
    )
    tech.post("/batches/HOLD-1/do/schedule")
    no_reason = tech.post("/batches/HOLD-1/do/hold", {"reason": " "}, follow=True)
    assert "reason: say why the batch is put on hold" in no_reason.content.decode()
    assert Batch.objects.get(batch_number="HOLD-1").state == "scheduled"
    tech.post("/batches/HOLD-1/do/hold", {"reason": "label printer fault"})
    batch = Batch.objects.get(batch_number="HOLD-1")
    assert (batch.state, batch.held_from) == ("on_hold", "scheduled")
    page = tech.get("/batches/HOLD-1/").content.decode()
    assert "held from scheduled" in page
    assert "label printer fault" in page
    # A technician may not lift a hold; QA may, with a reason.
    refused = tech.post("/batches/HOLD-1/do/resume", {"reason": "fixed"}, follow=True)
    assert "user: a technician may not lift a hold" in refused.content.decode()
    qa.post("/batches/HOLD-1/do/resume", {"reason": "printer repaired, labels checked"})
    batch.refresh_from_db()
    assert (batch.state, batch.held_from) == ("scheduled", "")
