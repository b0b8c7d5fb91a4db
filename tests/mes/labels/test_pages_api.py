"""Pages and API of the labels app: who may do what (role × endpoint), refusals shown naming
the field, PDFs served, JSON errors without stack traces."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from rempart.mes.labels.models import LabelCount, LabelPrint
from rempart.mes.stock.models import Lot
from tests.mes.conftest import World

from .factories import make_lot

ALLOWED = {"pharmacist", "technician"}
ROLES = ["pharmacist", "technician", "qa", "qc", "orderer_a", "admin"]


def client_for(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


@pytest.mark.parametrize("name", ROLES)
def test_pages_by_role(configured: World, lot: Lot, name: str) -> None:
    client = client_for(configured, name)
    ok = name in ALLOWED
    for url in ("/labels/", f"/labels/lots/{lot.lot_number}/"):
        assert client.get(url).status_code == (200 if ok else 403), url
    settings_status = client.get("/labels/settings/").status_code
    assert settings_status == (200 if name == "pharmacist" else 403)
    response = client.post(f"/labels/lots/{lot.lot_number}/print")
    if ok:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    else:
        assert response.status_code == 403
        assert not LabelPrint.objects.exists()


@pytest.mark.parametrize("name", ROLES)
def test_api_by_role(configured: World, lot: Lot, name: str) -> None:
    client = client_for(configured, name)
    ok = name in ALLOWED
    history = client.get(f"/api/labels/lots/{lot.lot_number}")
    assert history.status_code == (200 if ok else 403)
    printed = client.post(
        f"/api/labels/lots/{lot.lot_number}/print", "{}", content_type="application/json"
    )
    assert printed.status_code == (200 if ok else 403)
    if not ok:
        assert set(printed.json()) >= {"message", "field"}
    scan = client.post(
        "/api/labels/scan", json.dumps({"text": "nonsense"}), content_type="application/json"
    )
    assert scan.status_code == (403 if name == "admin" else 400)


def test_outsiders_are_sent_to_log_in(configured: World, lot: Lot, outsider: Client) -> None:
    assert outsider.get("/labels/").status_code == 302
    assert outsider.post(f"/labels/lots/{lot.lot_number}/print").status_code == 302
    assert outsider.get(f"/api/labels/lots/{lot.lot_number}").status_code == 401
    assert not LabelPrint.objects.exists()


def test_print_reprint_count_through_the_pages(configured: World, lot: Lot) -> None:
    client = client_for(configured, "technician")
    url = f"/labels/lots/{lot.lot_number}/"
    first = client.post(url + "print", {"serials": "1-3"})
    assert first.status_code == 200
    assert "attachment" in first["Content-Disposition"]
    refused = client.post(url + "reprint", {"serials": "2", "reason": ""}, follow=True)
    assert "reason: a reprint needs a reason" in refused.content.decode()
    bad = client.post(url + "print", {"serials": "1-x"}, follow=True)
    assert "serials: not a serial or a range" in bad.content.decode()
    assert client.post(url + "reprint", {"serials": "2", "reason": "torn"}).status_code == 200
    counted = client.post(url + "count", {"kind": "applied", "quantity": "3"}, follow=True)
    page = counted.content.decode()
    assert 'id="history"' in page
    assert "torn" in page
    assert LabelCount.objects.get().quantity == 3
    nonnumeric = client.post(url + "count", {"kind": "applied", "quantity": "x"}, follow=True)
    assert "quantity:" in nonnumeric.content.decode()
    assert LabelCount.objects.count() == 1
    assert LabelPrint.objects.count() == 2


def test_rejected_lot_page_says_so_and_print_is_refused(configured: World) -> None:
    lot = make_lot(configured, "ROC-26-Q", status="rejected")
    client = client_for(configured, "pharmacist")
    page = client.get(f"/labels/lots/{lot.lot_number}/").content.decode()
    assert 'id="print"' not in page
    refused = client.post(f"/labels/lots/{lot.lot_number}/print", follow=True)
    assert "lot ROC-26-Q: labels are printed only for a lot in quarantine or released" in (
        refused.content.decode()
    )
    api = client.post(
        f"/api/labels/lots/{lot.lot_number}/print", "{}", content_type="application/json"
    )
    assert api.status_code == 409
    assert api.json()["field"] == "status"
    assert not LabelPrint.objects.exists()


def test_api_reprint_without_reason_and_counts(configured: World, lot: Lot) -> None:
    client = client_for(configured, "pharmacist")
    base = f"/api/labels/lots/{lot.lot_number}"
    assert client.post(base + "/print", "{}", content_type="application/json").status_code == 200
    no_reason = client.post(
        base + "/reprint", json.dumps({"reason": " "}), content_type="application/json"
    )
    assert no_reason.status_code == 400
    assert no_reason.json() == {"message": "a reprint needs a reason", "field": "reason"}
    count = client.post(
        base + "/counts",
        json.dumps({"kind": "applied", "quantity": 9}),
        content_type="application/json",
    )
    assert count.status_code == 201
    history = client.get(base).json()
    assert history["reconciliation"] == {
        "printed": 9,
        "applied": 9,
        "destroyed": 0,
        "returned": 0,
        "difference": 0,
    }
    assert [e["kind"] for e in history["events"]] == ["print", "applied"]
    assert history["good_vials"] == 9
    assert client.get("/api/labels/lots/NOPE").json()["field"] == "lot"


def test_api_scan_parses_or_names_the_missing_field(configured: World) -> None:
    client = client_for(configured, "orderer_a")
    gtin = "03453120000011"
    ok = client.post(
        "/api/labels/scan",
        json.dumps({"text": f"(01){gtin}(17)270704(10)ROC-26-001(21)000007"}),
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert ok.json()["serial"] == "000007"
    assert ok.json()["expiry"] == "2027-07-04"
    missing = client.post(
        "/api/labels/scan",
        json.dumps({"text": f"(01){gtin}(17)270704(21)000007"}),
        content_type="application/json",
    )
    assert missing.status_code == 400
    assert missing.json()["field"] == "lot"
    assert "no lot (10)" in missing.json()["message"]


def test_settings_page_saves_issuer_and_product_coding(world: World) -> None:
    client = client_for(world, "pharmacist")
    saved = client.post(
        "/labels/settings/", {"form": "issuer", "name": "PUI Lille", "address": "Lille"}
    )
    assert saved.status_code == 302
    no_route = client.post("/labels/settings/", {"product": world.product.pk, "route": ""})
    assert "route: the route of administration" in no_route.content.decode()
    client.post("/labels/settings/", {"product": world.product.pk, "route": "IV", "gtin": ""})
    page = client.get("/labels/settings/").content.decode()
    assert "PUI Lille" in page
    assert 'value="IV"' in page


def test_lot_page_previews_the_label_with_its_symbol(configured: World, lot: Lot) -> None:
    page = client_for(configured, "technician").get(f"/labels/lots/{lot.lot_number}/")
    html = page.content.decode()
    assert "data:image/png;base64," in html
    assert "Lot : ROC-26-001" in html
    assert "Voie : voie intraveineuse" in html
    assert 'id="to-print">9<' in html
