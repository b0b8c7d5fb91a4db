"""Pages and API of stock, orders, receipt and recall: who may do what (role × endpoint),
the orderer's hospital scope, refusals naming the field, the PDF, the ledger check."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from rempart.domain.roles import Role
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.labels.identity import vial_identity
from rempart.mes.stock import ledger, services
from rempart.mes.stock.models import Movement, Order
from rempart.mes.stock.services import LineIn
from tests.mes.conftest import Persona, World, make_user
from tests.mes.stock.factories import released_lot


def client_for(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


def post_json(client: Client, url: str, body: object) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = client.post(url, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


PAGES = ["/stock/", "/stock/near-expiry/", "/stock/orders/", "/stock/recalls/"]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("pharmacist", 200),
        ("technician", 200),
        ("qc", 200),
        ("qa", 200),
        ("orderer_a", 200),
        ("admin", 403),
    ],
)
def test_reading_pages_follow_view_stock(world: World, url: str, who: str, status: int) -> None:
    assert client_for(world, who).get(url).status_code == status


def test_anonymous_is_sent_to_log_in(world: World) -> None:
    response = Client().get("/stock/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert Client().get("/api/stock").status_code == 401


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/stock/orders/new/", {"orderer_a"}),
        ("/stock/trace/", {"pharmacist", "qa"}),
    ],
)
def test_acting_pages_follow_the_matrix(world: World, url: str, allowed: set[str]) -> None:
    for who in ("pharmacist", "technician", "qc", "qa", "orderer_a", "admin"):
        expected = 200 if who in allowed else 403
        assert client_for(world, who).get(url).status_code == expected, who


def test_api_writes_follow_the_matrix(world: World) -> None:
    released_lot(world, "R-001", 100)
    body = {"lines": [{"product": world.product.code, "quantity": 3}]}
    for who in ("pharmacist", "technician", "qa", "admin"):
        status, answer = post_json(client_for(world, who), "/api/orders", body)
        assert status == 403, who
        assert "may not place order" in answer["message"]
    status, answer = post_json(client_for(world, "orderer_a"), "/api/orders", body)
    assert status == 201
    number = answer["number"]
    for who in ("orderer_a", "qa", "admin"):
        assert (
            post_json(client_for(world, who), f"/api/allocations/{world.product.code}", {})[0]
            == 403
        ), who
    status, lines = post_json(
        client_for(world, "technician"), f"/api/allocations/{world.product.code}", {}
    )
    assert (status, lines[0]["allocated"]) == (200, 3)
    assert post_json(client_for(world, "orderer_a"), f"/api/orders/{number}/pick", {})[0] == 403
    status, dispatch = post_json(client_for(world, "technician"), f"/api/orders/{number}/pick", {})
    assert (status, dispatch["lines"][0]["quantity"]) == (201, 3)
    assert (
        post_json(client_for(world, "technician"), "/api/recalls", {"lot": "R-001", "reason": "x"})[
            0
        ]
        == 403
    )


def test_orderer_places_an_order_on_the_page_and_sees_only_their_hospital(world: World) -> None:
    a = client_for(world, "orderer_a")
    response = a.post(
        "/stock/orders/new/",
        {"product_1": world.product.code, "quantity_1": "12", "urgent": "on", "note": "ICU"},
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/stock/orders/{order.pk}/"
    assert (order.hospital, order.urgent, order.lines.get().quantity_requested) == (
        world.hospital_a,
        True,
        12,
    )
    b = client_for(world, "orderer_b")
    assert b.get(f"/stock/orders/{order.pk}/").status_code == 404
    assert order.number not in b.get("/stock/orders/").content.decode()
    assert b.get(f"/api/orders/{order.number}").status_code == 404
    assert order.number in client_for(world, "technician").get("/stock/orders/").content.decode()
    status, answer = post_json(b, f"/api/orders/{order.number}/pick", {})
    assert (status, answer["field"]) == (403, None)


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"product_1": "NOPE", "quantity_1": "3"}, "lines.1.product"),
        ({"product_1": "ROCU-10-10", "quantity_1": "-4"}, "lines.1.quantity"),
        ({"product_1": "ROCU-10-10", "quantity_1": "many"}, "lines.1.quantity"),
        ({}, "lines"),
    ],
)
def test_bad_order_form_says_which_field_and_changes_nothing(
    world: World, form: dict[str, str], field: str
) -> None:
    response = client_for(world, "orderer_a").post("/stock/orders/new/", form)
    assert response.status_code == 200
    assert f"{field}:" in response.content.decode()
    assert Order.objects.count() == 0


def test_api_refusals_are_json_naming_the_field(world: World) -> None:
    a = client_for(world, "orderer_a")
    status, answer = post_json(a, "/api/orders", {"lines": [{"product": "X", "quantity": 1}]})
    assert (status, answer["field"]) == (400, "lines.1.product")
    status, answer = post_json(
        client_for(world, "qa"), "/api/recalls", {"lot": "UNKNOWN", "reason": "x"}
    )
    assert (status, answer["field"]) == (404, "lot")
    assert Order.objects.count() == 0


def test_receipt_by_scanning_on_the_page_flags_a_wrong_lot(world: World) -> None:
    lot = released_lot(world, "R-001", 100)
    other = released_lot(world, "R-002", 100)
    tech = world.users["technician"]
    order = services.place_order(world.users["orderer_a"], [LineIn(world.product.code, 2)])
    services.allocate_product(tech, world.product)
    order.refresh_from_db()
    dispatch = services.ship_dispatch(tech, services.pick_order(tech, order))
    a = client_for(world, "orderer_a")
    url = f"/stock/dispatches/{dispatch.pk}/"
    picked = dispatch.lines.get().lot
    wrong = other if picked == lot else lot
    page = a.post(url + "scan", {"code": vial_identity(wrong, 1).element_string()}, follow=True)
    text = page.content.decode()
    assert "scan-flagged" in text
    assert "SIGNALÉ" in text  # French by default
    assert f"lot {wrong.lot_number} is not in {dispatch.number}" in text
    page = a.post(url + "scan", {"code": "not a code"}, follow=True)
    assert "scan: not a GS1 code" in page.content.decode()
    # the orderer of another hospital cannot see or scan this dispatch
    b = client_for(world, "orderer_b")
    assert b.get(url).status_code == 404
    assert dispatch.scans.count() == 1
    status, answer = post_json(
        a,
        f"/api/dispatches/{dispatch.number}/scans",
        {"code": vial_identity(picked, 1).element_string()},
    )
    assert (status, answer["outcome"], answer["flagged"]) == (201, "ok", False)


def test_dispatch_note_is_a_pdf_listing_lot_expiry_and_serials(world: World) -> None:
    lot = released_lot(world, "R-001", 100)
    tech = world.users["technician"]
    order = services.place_order(world.users["orderer_a"], [LineIn(world.product.code, 12)])
    services.allocate_product(tech, world.product)
    order.refresh_from_db()
    dispatch = services.pick_order(tech, order)
    from rempart.mes.stock.pdf import dispatch_note_html

    html = dispatch_note_html(dispatch)
    assert "R-001" in html
    assert lot.expiry_date is not None
    assert lot.expiry_date.isoformat() in html
    assert "000001–000009, 000011–000013" in html
    response = client_for(world, "technician").get(f"/stock/dispatches/{dispatch.pk}/note.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert (
        client_for(world, "orderer_b").get(f"/stock/dispatches/{dispatch.pk}/note.pdf").status_code
        == 404
    )


def test_stock_page_shows_quarantine_apart_and_the_ledger_check(world: World) -> None:
    from rempart.mes.stock.lots import open_quarantine_lot
    from tests.mes.stock.factories import SYSTEM, make_batch, today

    released_lot(world, "R-001", 100)
    open_quarantine_lot(
        SYSTEM,
        make_batch(world.record, "Q-001", 50, state="quarantine"),
        quantity_vials=45,
        fill_date=today(),
        expected_release_date=today(),
    )
    text = client_for(world, "pharmacist").get("/stock/").content.decode()
    assert 'id="quarantine"' in text
    assert "Q-001" in text.split('id="quarantine"')[1]
    assert "Q-001" not in text.split('id="quarantine"')[0]
    assert 'id="ledger-ok"' in text
    # an orderer sees only their hospital's pharmacy, never the central stock or quarantine
    orderer = client_for(world, "orderer_a").get("/stock/").content.decode()
    assert "R-001" not in orderer
    assert "Q-001" not in orderer
    assert "ledger-ok" not in orderer


def test_a_movement_written_around_the_service_is_found_by_the_check(world: World) -> None:
    lot = released_lot(world, "R-001", 100)
    central = ledger.fixed_location(ledger.CENTRAL)
    here = ledger.hospital_location(world.hospital_a)
    assert ledger.check_ledger() == []
    with audited_write(Actor.system("tests")):
        Movement.objects.bulk_create(
            [
                Movement(
                    lot=lot,
                    kind="dispatch",
                    source=central,
                    target=here,
                    quantity=500,
                    actor="bypass",
                )
            ]
        )
    problems = ledger.check_ledger()
    assert len(problems) == 2
    assert "only 90 vials" in problems[0]
    assert "negative balance -410" in problems[1]
    text = client_for(world, "pharmacist").get("/stock/").content.decode()
    assert 'id="ledger-problems"' in text


def test_the_service_refuses_a_negative_balance(world: World) -> None:
    from rempart.domain.stock import MovementKind
    from rempart.mes.core.errors import Refused
    from tests.mes.stock.factories import SYSTEM

    lot = released_lot(world, "R-001", 100)
    central = ledger.fixed_location(ledger.CENTRAL)
    bay = ledger.fixed_location(ledger.BAY)
    with pytest.raises(Refused) as caught:
        ledger.record(SYSTEM, lot, MovementKind.PICK, source=central, target=bay, quantity=91)
    assert caught.value.field == "quantity"
    with pytest.raises(Refused):
        ledger.record(SYSTEM, lot, MovementKind.PICK, source=central, target=bay, quantity=-1)
    assert Movement.objects.count() == 1


def test_an_orderer_without_hospital_scope_elsewhere(world: World, orderer_a: Persona) -> None:
    other = make_user("orderer.c", Role.ORDERER, world.hospital_b)
    assert other.hospital == world.hospital_b
    body = orderer_a.client.get("/api/stock").json()
    assert [loc["code"] for loc in body["locations"]] == ["H-CHU-LILLE"]
    assert body["quarantine"] == []
