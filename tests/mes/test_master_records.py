"""Master batch records through pages and the API: workflow, computed content, bad input."""

from __future__ import annotations

from typing import Any

import pyotp
from django.test import Client

from rempart.mes.audit.models import AuditEntry
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.catalog.services import master_records

from .conftest import PASSWORD, Persona, World


def _snapshot() -> tuple[int, list[tuple[object, ...]]]:
    return AuditEntry.objects.count(), list(MasterRecord.objects.order_by("pk").values_list())


def test_detail_page_shows_formula_limits_sampling_envelope_and_signature(
    pharmacist: Persona, world: World
) -> None:
    page = pharmacist.client.get(f"/catalog/master-records/{world.record.pk}/").content.decode()
    assert "107000" in page  # mg of rocuronium: 10 mg/mL × (1000 × 10.5 + 150 + 50) mL
    assert "10,290" in page
    assert "10,710" in page
    assert world.users["qa"].printed_name in page
    assert "(Europe/Paris)" in page
    assert "approved" in page


def test_full_workflow_through_the_pages(pharmacist: Persona, qa: Persona, world: World) -> None:
    created = pharmacist.client.post("/catalog/products/ROCU-10-10/new-version/")
    assert created.status_code == 302
    draft = MasterRecord.objects.get(product=world.product, version=2)
    edit = f"/catalog/master-records/{draft.pk}/edit/"
    # The edit form shows every content field: send them all back, as a browser would.
    values = {name: str(getattr(draft, name)) for name in master_records.CONTENT_FIELDS}
    before = _snapshot()
    bad = pharmacist.client.post(edit, {**values, "batch_size_vials": "9000", "reason": "bigger"})
    assert bad.status_code == 400
    assert "batch_size_vials" in bad.content.decode()
    assert "media fill" in bad.content.decode()
    assert _snapshot() == before
    ok = pharmacist.client.post(edit, {**values, "batch_size_vials": "1200", "reason": "demand"})
    assert ok.status_code == 302
    assert pharmacist.client.post(f"/catalog/master-records/{draft.pk}/submit/").status_code == 302
    sign = f"/catalog/master-records/{draft.pk}/sign/"
    refused = qa.client.post(
        sign, {"meaning": "approved", "password": PASSWORD, "totp_code": "000000"}
    )
    assert refused.status_code == 400
    assert "totp_code" in refused.content.decode()
    signed = qa.client.post(
        sign, {"meaning": "approved", "password": PASSWORD, "totp_code": qa.totp()}, follow=True
    )
    page = signed.content.decode()
    assert qa.user.printed_name in page
    assert 'data-status="valid"' in page
    draft.refresh_from_db()
    assert draft.state == "approved"
    entries = AuditEntry.objects.filter(entity="catalog_masterrecord", entity_key=str(draft.pk))
    assert {e.reason for e in entries if e.action == "UPDATE"} >= {"demand", "version 2 approved"}


def test_api_workflow_and_clear_errors(pharmacist: Persona, qa: Persona, world: World) -> None:
    api = pharmacist.client
    created = api.post(
        "/api/master-records", {"product": "ROCU-10-10"}, content_type="application/json"
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    before = _snapshot()
    for content, field in [
        ({"batch_size_vials": "many"}, "batch_size_vials"),
        ({"fill_weight_action_pct": "1"}, "fill_weight_action_pct"),
        ({"colour": "blue"}, "colour"),
    ]:
        response = api.patch(
            f"/api/master-records/{pk}",
            {"content": content, "reason": "try"},
            content_type="application/json",
        )
        assert response.status_code == 400, response.content
        assert response.json()["field"] == field
    missing_reason = api.patch(
        f"/api/master-records/{pk}",
        {"content": {"diluent": "NaCl"}},
        content_type="application/json",
    )
    assert missing_reason.status_code == 422
    assert missing_reason.json()["field"] == "reason"
    assert _snapshot() == before
    assert api.post(f"/api/master-records/{pk}/submit").json()["state"] == "in_review"
    again = api.post(f"/api/master-records/{pk}/submit")
    assert again.status_code == 409
    assert "allowed from in_review" in again.json()["message"]
    approved = qa.client.post(
        f"/api/master-records/{pk}/approve",
        {"password": PASSWORD, "totp_code": pyotp.TOTP(qa.user.totp_secret).now()},
        content_type="application/json",
    )
    assert approved.status_code == 200
    body = approved.json()
    assert body["state"] == "approved"
    [sig] = body["signatures"]
    assert sig["printed_name"] == qa.user.printed_name
    assert sig["valid"] is True
    assert "Europe/Paris" in sig["displayed"]


def test_a_frozen_version_cannot_be_edited(pharmacist: Persona, world: World) -> None:
    response = pharmacist.client.patch(
        f"/api/master-records/{world.record.pk}",
        {"content": {"diluent": "x"}, "reason": "r"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "new version" in response.json()["message"]


def test_api_errors_are_json_never_a_trace(pharmacist: Persona) -> None:
    client = pharmacist.client
    missing = client.get("/api/master-records/99999")
    assert missing.status_code == 404
    assert missing.json()["message"] == "not found"
    bad_json = client.post("/api/master-records", "{not json", content_type="application/json")
    assert bad_json.status_code in (400, 422)
    assert "message" in bad_json.json()
    bad_type = client.get("/api/master-records/abc")
    assert bad_type.status_code in (404, 422)
    assert "message" in bad_type.json()
    bad_limit = client.get("/api/audit?limit=0")
    assert bad_limit.status_code == 400
    assert bad_limit.json()["field"] == "limit"


def test_api_needs_csrf_for_writes(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["pharmacist"])
    response = client.post(
        "/api/master-records", {"product": "ROCU-10-10"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "message" in response.json()


def test_openapi_and_offline_docs(pharmacist: Persona) -> None:
    schema = Client().get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/master-records/{pk}/approve" in paths
    docs = pharmacist.client.get("/api/docs").content.decode()
    assert "cdn." not in docs


def _body_fields(document: dict[str, Any], path: str) -> set[str]:
    body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    name = body["schema"]["$ref"].rsplit("/", 1)[-1]
    return set(document["components"]["schemas"][name]["properties"])


def test_openapi_gives_each_endpoint_its_own_request_body(world: World) -> None:
    # django-ninja names components after the class: two request schemas with one name made
    # the document describe /api/batches with the body of /api/orders.
    from ninja import Schema

    def subclasses(cls: type) -> set[type]:
        found = set(cls.__subclasses__())
        return found.union(*(subclasses(c) for c in found)) if found else found

    document = Client().get("/api/openapi.json").json()  # imports every API module
    ours = [c for c in subclasses(Schema) if c.__module__.startswith("rempart.")]
    names = [c.__name__ for c in ours]
    assert len(names) > 50
    assert sorted({n for n in names if names.count(n) > 1}) == []
    assert "batch_number" in _body_fields(document, "/api/batches")
    assert "lines" in _body_fields(document, "/api/orders")
    assert _body_fields(document, "/api/labels/scan") == {"text"}
    assert _body_fields(document, "/api/dispatches/{number}/scans") == {"code"}


def test_page_errors_are_pages_not_traces(pharmacist: Persona) -> None:
    response = pharmacist.client.get("/catalog/products/NOPE/")
    assert response.status_code == 404
    assert "Traceback" not in response.content.decode()


def test_french_by_default_english_on_request(world: World) -> None:
    client = Client()
    assert "Se connecter" in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Log in" in client.get("/accounts/login/").content.decode()


def test_every_french_text_is_translated() -> None:
    import gettext
    import re
    from pathlib import Path

    import rempart.mes

    po = Path(rempart.mes.__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    text = po.read_text(encoding="utf-8")
    assert 'msgstr ""\n\n' not in text.split("\n\n", 1)[1]
    # The committed .mo matches the .po: same number of messages (CI never runs msgfmt).
    with po.with_suffix(".mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', text, flags=re.MULTILINE)
    assert len(pairs) > 90
    for msgid, msgstr in pairs:
        assert catalog.gettext(msgid.replace('\\"', '"')) == msgstr.replace('\\"', '"')
