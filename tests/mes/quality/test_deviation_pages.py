"""Deviations from the pages: opened by hand (classification, batches concerned; bad input
refused naming the field), listed, shown with their investigation, closed by QA with a
signature; who may do what."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import pytest
from django.test import Client

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.quality.models import Deviation
from rempart.mes.quality.services import open_deviations_for
from tests.mes.conftest import PASSWORD, World


@pytest.fixture
def batches(world: World) -> list[Batch]:
    with audited_write(Actor.system("tests")):
        return [
            Batch.objects.create(
                batch_number=number,
                master_record=world.record,
                product=world.product,
                quantity_vials=100,
                planned_start=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
                ordered_by=world.users["technician"],
            )
            for number in ("Q-001", "Q-002")
        ]


def logged_in(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


def test_a_deviation_is_opened_by_hand_listed_and_closed_by_qa(
    world: World, batches: list[Batch]
) -> None:
    tech, qa = logged_in(world, "technician"), logged_in(world, "qa")
    form = {
        "title": "Label roll mix-up",
        "description": "a roll of another product was found at the labeller",
        "classification": "critical",
        "batch_numbers": "Q-001, Q-002",
    }
    page = tech.get("/quality/deviations/new?batch=Q-001").content.decode()
    assert 'value="Q-001"' in page
    for changes, shown in [
        ({"batch_numbers": "Q-001 NOPE"}, "batch_numbers: no batch NOPE"),
        ({"classification": "huge"}, "classification: unknown classification"),
        ({"description": ""}, "description: describe what happened"),
    ]:
        refused = tech.post("/quality/deviations/new", {**form, **changes})
        assert shown in refused.content.decode()
    assert not Deviation.objects.exists()
    opened = tech.post("/quality/deviations/new", form)
    deviation = Deviation.objects.get()
    assert opened["Location"] == f"/quality/deviations/{deviation.pk}/"
    assert (deviation.source, deviation.classification, deviation.opened_by) == (
        "manual",
        "critical",
        world.users["technician"].printed_name,
    )
    assert open_deviations_for("Q-002") == [deviation]
    listed = tech.get("/quality/deviations/?status=open").content.decode()
    assert deviation.number in listed
    assert "Q-001, Q-002" in listed
    assert deviation.number not in tech.get("/quality/deviations/?status=closed").content.decode()
    record = tech.get("/batches/Q-001/").content.decode()
    assert f'href="/quality/deviations/{deviation.pk}/"' in record
    detail = tech.get(f"/quality/deviations/{deviation.pk}/").content.decode()
    assert "Close and sign" not in detail  # only QA closes

    url = f"/quality/deviations/{deviation.pk}/close"
    closing = {"investigation": "rolls segregated; no label applied", "capa_reference": "CAPA-3"}
    not_qa = tech.post(url, {**closing, "password": PASSWORD, "totp_code": "123456"}, follow=True)
    assert "user: only a QA reviewer closes a deviation" in not_qa.content.decode()
    no_inv = qa.post(url, {"investigation": " ", "password": PASSWORD}, follow=True)
    assert "investigation: state the investigation" in no_inv.content.decode()
    code = pyotp.TOTP(world.users["qa"].totp_secret).now()
    done = qa.post(url, {**closing, "password": PASSWORD, "totp_code": code}, follow=True)
    page = done.content.decode()
    assert "closed" in page
    assert "CAPA-3" in page
    assert "approved" in page  # the closure signature
    assert open_deviations_for("Q-001") == []


def test_who_may_see_and_open_deviations(world: World, batches: list[Batch]) -> None:
    orderer = logged_in(world, "orderer_a")
    assert orderer.get("/quality/deviations/").status_code == 403
    assert orderer.post("/quality/deviations/new", {"title": "x"}).status_code == 403
    assert Client().get("/quality/deviations/").status_code == 302
    for name in ("qc", "qa", "pharmacist", "technician"):
        assert logged_in(world, name).get("/quality/deviations/").status_code == 200
    assert logged_in(world, "qa").get("/quality/deviations/999/").status_code == 404
