"""Acting from the pages: order (refusals shown naming the field), schedule, line clearance
by two people, sending to an unreachable line (refused, nothing changes), QA forms."""

from __future__ import annotations

from django.test import Client

from rempart.mes.batches.models import Batch
from rempart.mes.catalog.models import MasterRecord
from tests.mes.conftest import PASSWORD, World

from .conftest import totp


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
    refused = tech.post("/batches/new", form)
    assert "quantity_vials: outside the validated envelope" in refused.content.decode()
    assert not Batch.objects.exists()
    done = tech.post("/batches/new", {**form, "quantity_vials": "300"})
    assert done.status_code == 302
    assert done["Location"] == "/batches/PG-001/"
    assert tech.post("/batches/PG-001/do/schedule").status_code == 302
    page = tech.get("/batches/PG-001/").content.decode()
    assert "Sign the line clearance" in page
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
    assert page.count("— valid") == 2
    assert "Send to the line" in page
    sent = tech.post("/batches/PG-001/do/send", follow=True).content.decode()
    assert "line: the line at" in sent
    batch.refresh_from_db()
    assert batch.state == "line_clearance"


def test_people_without_the_role_cannot_act(world: World, twin_record: MasterRecord) -> None:
    qc = logged_in(world, "qc")
    assert qc.get("/batches/new").status_code == 403
    assert Client().get("/batches/").status_code == 302
