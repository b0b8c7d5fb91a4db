"""The routes: /records/<number>.pdf and .json, /api/batches/{number}/record.json and the
schema; permission VIEW_AUDIT_TRAIL (pharmacist, QA reviewer) per role; unknown batch."""

from __future__ import annotations

import pytest
from django.test import Client

from rempart.mes.batches.models import Batch
from tests.mes.conftest import World

ROLES = {
    "pharmacist": True,
    "qa": True,
    "technician": False,
    "qc": False,
    "orderer_a": False,
    "admin": False,
}


def client_for(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


@pytest.mark.parametrize(("name", "allowed"), ROLES.items())
def test_each_role_gets_the_document_or_a_403(
    world: World, bare_batch: Batch, name: str, allowed: bool
) -> None:
    client = client_for(world, name)
    pdf = client.get("/records/REC-BARE.pdf")
    page_json = client.get("/records/REC-BARE.json")
    api = client.get("/api/batches/REC-BARE/record.json")
    if allowed:
        assert pdf.status_code == 200
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        assert page_json.status_code == api.status_code == 200
        assert page_json.json()["header"]["batch_number"] == "REC-BARE"
        assert api.json()["header"]["batch_number"] == "REC-BARE"
    else:
        assert pdf.status_code == page_json.status_code == api.status_code == 403
        assert "may not view_audit_trail" in pdf.content.decode()
        assert api.json()["field"] is None or isinstance(api.json()["message"], str)
        assert "view_audit_trail" not in api.content.decode() or api.status_code == 403


def test_someone_not_logged_in_is_sent_to_log_in(bare_batch: Batch) -> None:
    anonymous = Client()
    assert anonymous.get("/records/REC-BARE.pdf").status_code == 302
    assert anonymous.get("/records/REC-BARE.json").status_code == 302
    api = anonymous.get("/api/batches/REC-BARE/record.json")
    assert api.status_code == 401
    assert api.json()["message"] == "log in first"


def test_an_unknown_batch_is_a_404_naming_it(world: World) -> None:
    client = client_for(world, "qa")
    pdf = client.get("/records/NOPE-1.pdf")
    assert pdf.status_code == 404
    assert "no batch NOPE-1" in pdf.content.decode()
    page_json = client.get("/records/NOPE-1.json")
    assert page_json.status_code == 404
    assert page_json.json() == {"message": "no batch NOPE-1", "field": "number"}
    api = client.get("/api/batches/NOPE-1/record.json")
    assert api.status_code == 404
    assert api.json() == {"message": "no batch NOPE-1", "field": "number"}


def test_the_schema_is_served(world: World) -> None:
    schema = client_for(world, "technician").get("/api/records/schema.json")
    assert schema.status_code == 200
    assert schema.json()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_pdf_is_french_by_default_and_english_on_request(
    world: World, bare_batch: Batch
) -> None:
    client = client_for(world, "pharmacist")
    assert client.get("/records/REC-BARE.pdf").status_code == 200
    english = client.get("/records/REC-BARE.pdf?lang=en")
    assert english.status_code == 200
    assert english["Content-Disposition"] == 'inline; filename="batch-record-REC-BARE.pdf"'


@pytest.mark.parametrize(("name", "allowed"), ROLES.items())
def test_the_links_tag_shows_the_links_only_to_who_may_open_them(
    world: World, name: str, allowed: bool
) -> None:
    from django.template import Context, Template

    html = Template("{% load records %}{% batch_record_links 'B-1' %}").render(
        Context({"user": world.users[name]})
    )
    assert ('href="/records/B-1.pdf"' in html) is allowed
    assert ('href="/records/B-1.json"' in html) is allowed
