"""Cover from the stock ledger: a lot released into central stock, ordered, picked, shipped
and received at a hospital through the stock services; the hand-entered counts and forecasts
as the fallback; where each figure came from on the page; an alert raised then cleared as
stock arrives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from pytest_django.fixtures import Settings as SettingsWrapper

from rempart.domain.stock import parse_ranges
from rempart.mes.labels.identity import vial_identity
from rempart.mes.stock import receiving, services
from rempart.mes.stock.lots import open_quarantine_lot
from rempart.mes.stock.models import Dispatch, Lot
from rempart.mes.stock.services import LineIn
from rempart.mes.supply.alerting import open_alerts, refresh_alerts
from rempart.mes.supply.cover import (
    CONSUMPTION_WINDOW_DAYS,
    COUNT,
    FORECAST,
    LEDGER,
    NONE,
    ORDERS,
    ProductCover,
    SiteCover,
    coverage,
)
from rempart.mes.supply.inputs import enter_forecast, enter_stock
from rempart.mes.supply.models import SupplyAlert
from tests.mes.stock.factories import SYSTEM, make_batch, released_lot

from ..conftest import Persona, World


def utc_today() -> date:
    return datetime.now(UTC).date()


def deliver(world: World, orderer: str, vials: int) -> Dispatch:
    """An order of `vials` by `orderer`, allocated, picked, shipped and received in full."""
    user = world.users[orderer]
    order = services.place_order(user, [LineIn(world.product.code, vials)])
    technician = world.users["technician"]
    services.allocate_product(technician, world.product)
    order.refresh_from_db()
    dispatch = services.ship_dispatch(technician, services.pick_order(technician, order))
    for line in dispatch.lines.select_related("lot"):
        for first, last in parse_ranges(line.serials):
            for sequence in range(first, last + 1):
                text = vial_identity(line.lot, sequence).element_string()
                assert receiving.record_scan(user, dispatch, text).outcome == "ok"
    receiving.confirm_receipt(user, dispatch)
    return dispatch


def quarantine_lot(world: World, number: str, vials: int, release: date) -> Lot:
    batch = make_batch(world.record, number, vials, state="quarantine")
    return open_quarantine_lot(
        SYSTEM,
        batch,
        quantity_vials=vials,
        fill_date=utc_today(),
        expected_release_date=release,
    )


def one(today: date) -> tuple[ProductCover, dict[str, SiteCover]]:
    (cover,) = coverage(today)
    return cover, {s.hospital.code: s for s in cover.sites}


def test_cover_from_the_ledger(world: World) -> None:
    today = utc_today()
    released_lot(world, "L-001", 100)  # 90 vials accepted, into central stock
    deliver(world, "orderer_a", 28)
    quarantine_lot(world, "Q-001", 56, today + timedelta(days=10))
    cover, sites = one(today)
    a = sites["CHU-LILLE"]
    # A holds what it received; it ordered 28 vials over the 28-day window: 1 a day.
    assert (a.stock_source, a.released_vials) == (LEDGER, 28)
    assert (a.consumption_source, a.daily_consumption) == (ORDERS, pytest.approx(1.0))
    assert a.days == pytest.approx(28.0)
    # Central stock is the region's, not the hospital's: 62 released, 56 in quarantine.
    assert (cover.central.released_vials, cover.central.outbound_vials) == (62, 0)
    assert (cover.central.quarantine_vials, cover.central.next_release_date) == (
        56,
        today + timedelta(days=10),
    )
    assert cover.regional_stock == 90
    # Region: 90 released + 56 released on day 10, at 1 a day.
    assert cover.regional_days == pytest.approx(146.0)


def test_hospital_stock_on_hand_is_estimated_from_its_use(world: World) -> None:
    today = utc_today()
    released_lot(world, "L-001", 100)
    deliver(world, "orderer_a", 28)
    quarantine_lot(world, "Q-001", 56, today + timedelta(days=10))
    # Fourteen days later: the order is still in the window, 14 vials used of 28.
    later = today + timedelta(days=14)
    cover, sites = one(later)
    assert (sites["CHU-LILLE"].released_vials, sites["CHU-LILLE"].days) == (14, 14.0)
    # The quarantine lot is overdue: it counts at once. 62 + 14 + 56 at 1 a day.
    assert cover.regional_days == pytest.approx(132.0)
    # Once the order is out of the window and no forecast was entered: no consumption known.
    gone = today + timedelta(days=CONSUMPTION_WINDOW_DAYS)
    _, sites = one(gone)
    assert (sites["CHU-LILLE"].consumption_source, sites["CHU-LILLE"].days) == (NONE, None)


def test_picked_and_in_transit_vials_stay_in_the_regional_pool(world: World) -> None:
    released_lot(world, "L-001", 100)
    order = services.place_order(world.users["orderer_b"], [LineIn(world.product.code, 30)])
    technician = world.users["technician"]
    services.allocate_product(technician, world.product)
    order.refresh_from_db()
    services.ship_dispatch(technician, services.pick_order(technician, order))
    cover, sites = one(utc_today())
    assert (cover.central.released_vials, cover.central.outbound_vials) == (60, 30)
    # B ordered but has received nothing yet: no ledger stock of its own, 30/28 a day.
    b = sites["CH-ROUBAIX"]
    assert (b.stock_source, b.released_vials, b.consumption_source) == (NONE, 0, ORDERS)
    assert b.days == pytest.approx(0.0)
    assert cover.regional_days == pytest.approx(90 / (30 / 28))


def test_counts_and_forecasts_where_the_ledger_knows_nothing(world: World) -> None:
    today = utc_today()
    pharmacist = world.users["pharmacist"]
    a, b, product = world.hospital_a, world.hospital_b, world.product
    released_lot(world, "L-001", 100)
    deliver(world, "orderer_a", 28)
    # A is supplied through rempart: its old count and its forecast are not used.
    enter_stock(pharmacist, a, product, today - timedelta(days=3), 1000)
    enter_forecast(pharmacist, a, product, Decimal("50"), today - timedelta(days=3), None)
    # B is not: its count (with quarantine) and its forecast are.
    counted = today - timedelta(days=2)
    enter_stock(pharmacist, b, product, counted, 140, 20, today + timedelta(days=1))
    enter_forecast(pharmacist, b, product, Decimal("5"), counted, None)
    cover, sites = one(today)
    assert (sites["CHU-LILLE"].stock_source, sites["CHU-LILLE"].consumption_source) == (
        LEDGER,
        ORDERS,
    )
    assert sites["CHU-LILLE"].released_vials == 28
    b_site = sites["CH-ROUBAIX"]
    assert (b_site.stock_source, b_site.counted_on) == (COUNT, counted)
    assert (b_site.consumption_source, b_site.forecast_from) == (FORECAST, counted)
    # 140 counted two days ago, 5 a day since: 130, and 20 more tomorrow.
    assert (b_site.released_vials, b_site.quarantine_vials) == (130, 20)
    assert b_site.days == pytest.approx(30.0)
    # Region: central 62 + A 28 + B 130 + 20 tomorrow, at 1 + 5 a day.
    assert cover.regional_days == pytest.approx(240 / 6)


def test_the_page_says_where_each_figure_came_from(world: World, technician: Persona) -> None:
    today = utc_today()
    pharmacist = world.users["pharmacist"]
    released_lot(world, "L-001", 100)
    deliver(world, "orderer_a", 28)
    counted = today - timedelta(days=2)
    enter_stock(pharmacist, world.hospital_b, world.product, counted, 140)
    enter_forecast(pharmacist, world.hospital_b, world.product, Decimal("5"), counted, None)
    technician.client.cookies["django_language"] = "en"
    page = technician.client.get("/supply/").content.decode()
    row_a = page.split('data-hospital="CHU-LILLE"')[1].split("</tr>")[0]
    row_b = page.split('data-hospital="CH-ROUBAIX"')[1].split("</tr>")[0]
    assert '<td class="stock-source">ledger</td>' in row_a
    assert f'<td class="consumption-source">orders, last {CONSUMPTION_WINDOW_DAYS} days</td>' in (
        row_a
    )
    assert f'<td class="stock-source">count entered on {counted:%Y-%m-%d}</td>' in row_b
    assert f'<td class="consumption-source">forecast from {counted:%Y-%m-%d}</td>' in row_b
    central = page.split('<tr class="central"')[1].split("</tr>")[0]
    assert "<td>62</td>" in central
    technician.client.cookies["django_language"] = "fr"
    french = technician.client.get("/supply/").content.decode()
    assert '<td class="stock-source">registre</td>' in french
    assert f"inventaire saisi le {counted:%Y-%m-%d}" in french
    assert f"commandes des {CONSUMPTION_WINDOW_DAYS} derniers jours" in french


def test_low_cover_alert_raised_then_cleared_as_stock_arrives(
    world: World, settings: SettingsWrapper
) -> None:
    settings.SUPPLY_ALERT_EMAILS = ["pui@example.org"]
    released_lot(world, "L-001", 40)  # 36 vials
    deliver(world, "orderer_a", 36)
    # Everything is at A, used at 36/28 a day: 28 days of cover, under the 60-day threshold.
    refresh = refresh_alerts()
    (alert,) = refresh.raised
    assert (alert.product.code, alert.kind) == ("ROCU-10-10", "low_cover")
    assert "regional cover 28.0 days" in alert.message
    assert len(mail.outbox) == 1
    # A lot in quarantine does not clear it before its release date is near enough...
    quarantine_lot(world, "Q-001", 90, utc_today() + timedelta(days=40))
    assert not refresh_alerts().cleared
    # ...a released lot entering central stock does: 36 + 90 vials = 98 days.
    released_lot(world, "L-002", 100)
    refresh = refresh_alerts()
    assert [c.pk for c in refresh.cleared] == [alert.pk]
    assert not open_alerts()
    assert SupplyAlert.objects.get(pk=alert.pk).cleared_at is not None
    assert len(mail.outbox) == 1
