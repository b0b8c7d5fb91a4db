"""A hospital orderer orders in the browser, then receives the shipment by typing vial codes:
a vial of the wrong lot is flagged on screen, the receipt is confirmed with a note."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from rempart.mes.accounts.models import User
from rempart.mes.audit.context import Actor
from rempart.mes.catalog.demo import DEMO_USERS
from rempart.mes.labels.identity import vial_identity
from rempart.mes.stock import services
from rempart.mes.stock.demo import load_demo_stock
from rempart.mes.stock.models import Lot, Order, Receipt


@pytest.mark.browser
def test_orderer_orders_then_receives_by_typing_codes(
    live_server: LiveServer, browser: Browser
) -> None:
    from rempart.mes.catalog.demo import load_demo

    load_demo(lambda line: None)
    load_demo_stock(Actor.system("demo"), lambda line: None)
    orderer = next(u for u in DEMO_USERS if u.username == "commande.roubaix")

    page = browser.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#username", orderer.username)
    page.fill("#password", orderer.password)
    page.click("#login-submit")
    page.goto(f"{live_server.url}/stock/orders/")
    page.click("#new-order")
    page.select_option("#product_1", "ROCU-10-10")
    page.fill("#quantity_1", "-5")
    page.click("#place-order")
    expect(page.locator(".messages")).to_contain_text("lines.1.quantity")
    page.select_option("#product_1", "ROCU-10-10")
    page.fill("#quantity_1", "3")
    page.check("#urgent")
    page.click("#place-order")
    expect(page.locator("#order-status")).to_contain_text("open")
    order = Order.objects.filter(urgent=True).get()
    assert order.lines.get().quantity_requested == 3

    # the central pharmacy allocates (urgent first), picks FEFO and ships
    technician = User.objects.get(username="preparateur")
    demo_product = order.lines.get().product
    services.allocate_product(technician, demo_product)
    order.refresh_from_db()
    dispatch = services.ship_dispatch(technician, services.pick_order(technician, order))
    line = dispatch.lines.select_related("lot").get()
    assert line.lot.lot_number == "DEMO-ROCU-002"  # first expiry, first out
    wrong = Lot.objects.get(lot_number="DEMO-ROCU-001")

    page.goto(f"{live_server.url}/stock/orders/{order.pk}/")
    expect(page.locator("#lines .reason")).to_contain_text("served in full")
    page.click(".dispatch-link")
    page.fill("#code", vial_identity(wrong, 1).human_readable())
    page.click("#scan-submit")
    expect(page.locator(".messages .warning")).to_contain_text("is not in")
    expect(page.locator("#scans .scan-flagged")).to_contain_text("DEMO-ROCU-001")
    page.fill("#code", "(01)123")
    page.click("#scan-submit")
    expect(page.locator(".messages")).to_contain_text("scan")
    for sequence in (1, 2):
        page.fill("#code", vial_identity(line.lot, sequence).human_readable())
        page.click("#scan-submit")
    expect(page.locator("#progress")).to_contain_text("2")
    page.click("#confirm-receipt")
    expect(page.locator(".messages")).to_contain_text("note")
    page.fill("#receipt-note", "one vial missing from the box")
    page.click("#confirm-receipt")
    expect(page.locator("#receipt")).to_contain_text("2")
    page.close()
    receipt = Receipt.objects.get(dispatch=dispatch)
    assert (receipt.accepted, receipt.flagged, receipt.missing) == (2, 1, 1)
