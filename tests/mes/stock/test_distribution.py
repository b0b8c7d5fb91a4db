"""Orders, allocation of short stock, FEFO picking, shipping and receipt by scanning."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rempart.domain.lot import LotStatus
from rempart.domain.stock import parse_ranges
from rempart.mes.audit.models import AuditEntry
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.labels.identity import vial_identity
from rempart.mes.stock import ledger, receiving, services
from rempart.mes.stock.lots import expire_lots
from rempart.mes.stock.models import (
    Dispatch,
    Lot,
    Movement,
    Order,
    OrderLine,
    ReceiptScan,
    ScanOutcome,
)
from rempart.mes.stock.services import LineIn
from tests.mes.conftest import World
from tests.mes.stock.factories import released_lot, today


def order(world: World, who: str, qty: int, urgent: bool = False) -> Order:
    return services.place_order(world.users[who], [LineIn(world.product.code, qty)], urgent=urgent)


def scan_text(lot: Lot, sequence: int) -> str:
    return vial_identity(lot, sequence).element_string()


def shipped(world: World, qty: int) -> Dispatch:
    o = order(world, "orderer_a", qty)
    services.allocate_product(world.users["technician"], world.product)
    o.refresh_from_db()
    dispatch = services.pick_order(world.users["technician"], o)
    return services.ship_dispatch(world.users["technician"], dispatch)


def test_release_enters_the_accepted_vials_into_central_stock(world: World) -> None:
    lot = released_lot(world, "R-001", 100)
    move = Movement.objects.get(lot=lot)
    assert (move.kind, move.quantity, move.source_id) == ("release_receipt", 90, None)
    # every tenth vial was rejected by the line: its serial never enters stock
    assert move.serials == ",".join(f"{a}-{a + 8}" for a in range(1, 100, 10))
    central = ledger.fixed_location(ledger.CENTRAL)
    assert ledger.balances() == {(lot.pk, central.pk): 90}
    assert ledger.check_ledger() == []


def test_whole_flow_order_allocate_pick_ship_receive(world: World) -> None:
    lot = released_lot(world, "R-001", 100)
    dispatch = shipped(world, 12)
    line = dispatch.lines.get()
    assert (line.lot_id, line.quantity, line.serials) == (lot.pk, 12, "1-9,11-13")
    orderer = world.users["orderer_a"]
    for seq in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12):
        assert receiving.record_scan(orderer, dispatch, scan_text(lot, seq)).outcome == "ok"
    with pytest.raises(Refused) as short:
        receiving.confirm_receipt(orderer, dispatch)
    assert short.value.field == "note"
    receipt = receiving.confirm_receipt(orderer, dispatch, note="one vial not found in the box")
    assert (receipt.accepted, receipt.flagged, receipt.missing) == (11, 0, 1)
    here = ledger.hospital_location(world.hospital_a)
    transit = ledger.fixed_location(ledger.TRANSIT)
    central = ledger.fixed_location(ledger.CENTRAL)
    assert ledger.balances() == {
        (lot.pk, central.pk): 78,
        (lot.pk, here.pk): 11,
        (lot.pk, transit.pk): 1,
    }
    assert ledger.serials_at(lot, here) == (11, parse_ranges("1-9,11-12"))
    assert ledger.check_ledger() == []
    dispatch.order.refresh_from_db()
    assert dispatch.order.status == "received"


def test_fefo_picks_the_earliest_expiry_across_lots(world: World) -> None:
    late = released_lot(world, "LATE", 100, expiry=today() + timedelta(days=170))
    soon = released_lot(world, "SOON", 20, expiry=today() + timedelta(days=60))
    dispatch = shipped(world, 25)
    picked = {line.lot.lot_number: line.quantity for line in dispatch.lines.all()}
    assert picked == {"SOON": 18, "LATE": 7}
    assert soon.pk != late.pk


def test_short_stock_is_rationed_fairly_and_each_hospital_reads_why(world: World) -> None:
    released_lot(world, "R-001", 100)  # 90 good vials
    a = order(world, "orderer_a", 100)
    b = order(world, "orderer_b", 50)
    services.allocate_product(world.users["pharmacist"], world.product)
    line_a = OrderLine.objects.get(order=a)
    line_b = OrderLine.objects.get(order=b)
    assert line_a.quantity_allocated + line_b.quantity_allocated == 90
    # same fill rate (90 / 150 = 60 %) for both, in whole vials
    assert (line_a.quantity_allocated, line_b.quantity_allocated) == (60, 30)
    assert "rationed to 60.0% (PPA)" in line_a.allocation_reason
    assert "60 of 100 vials" in line_a.allocation_reason


def test_urgent_orders_are_served_first(world: World) -> None:
    released_lot(world, "R-001", 100)  # 90
    normal = order(world, "orderer_a", 100)
    urgent = order(world, "orderer_b", 50, urgent=True)
    services.allocate_product(world.users["pharmacist"], world.product)
    assert OrderLine.objects.get(order=urgent).quantity_allocated == 50
    line = OrderLine.objects.get(order=normal)
    assert line.quantity_allocated == 40
    assert line.allocation_reason.startswith("after urgent orders")


def test_a_wrong_lot_and_other_anomalies_are_flagged_not_accepted(world: World) -> None:
    lot = released_lot(world, "R-001", 100)
    other = released_lot(world, "R-002", 100, expiry=today() + timedelta(days=170))
    dispatch = shipped(world, 5)
    assert dispatch.lines.get().lot_id == lot.pk
    orderer = world.users["orderer_a"]
    scan = receiving.record_scan(orderer, dispatch, scan_text(other, 1))
    assert scan.outcome == ScanOutcome.WRONG_LOT
    assert "R-002" in scan.message
    scan = receiving.record_scan(orderer, dispatch, scan_text(lot, 50))
    assert scan.outcome == ScanOutcome.NOT_IN_SHIPMENT
    bad_expiry = (
        vial_identity(lot, 2)
        .element_string()
        .replace(
            lot.expiry_date.strftime("%y%m%d"),  # type: ignore[union-attr]
            (lot.expiry_date + timedelta(days=1)).strftime("%y%m%d"),  # type: ignore[operator]
        )
    )
    assert receiving.record_scan(orderer, dispatch, bad_expiry).outcome == "expiry_mismatch"
    assert receiving.record_scan(orderer, dispatch, scan_text(lot, 1)).outcome == "ok"
    assert receiving.record_scan(orderer, dispatch, scan_text(lot, 1)).outcome == "duplicate"
    receipt = receiving.confirm_receipt(orderer, dispatch, note="4 not scanned")
    assert (receipt.accepted, receipt.flagged, receipt.missing) == (1, 4, 4)
    assert ledger.serials_at(lot, ledger.hospital_location(world.hospital_a))[0] == 1


def test_a_malformed_scan_is_refused_and_records_nothing(world: World) -> None:
    released_lot(world, "R-001", 100)
    dispatch = shipped(world, 5)
    before = AuditEntry.objects.count()
    for text in ("", "hello", "(01)04000000000012(17)261301(10)R-001(21)000001"):
        with pytest.raises(Refused) as caught:
            receiving.record_scan(world.users["orderer_a"], dispatch, text)
        assert caught.value.field in ("scan", "gtin", "expiry")
    assert ReceiptScan.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_bad_order_input_is_refused_naming_the_field(world: World) -> None:
    orderer = world.users["orderer_a"]
    cases = [
        ([LineIn("NOPE", 5)], "lines.1.product"),
        ([LineIn(world.product.code, -3)], "lines.1.quantity"),
        ([LineIn(world.product.code, 0)], "lines.1.quantity"),
        ([], "lines"),
    ]
    for lines, field in cases:
        with pytest.raises(Refused) as caught:
            services.place_order(orderer, lines)
        assert caught.value.field == field
    assert Order.objects.count() == 0
    with pytest.raises(NotPermitted):
        services.place_order(world.users["pharmacist"], [LineIn(world.product.code, 1)])


def test_expired_lots_expire_on_read_and_are_never_picked(world: World) -> None:
    lot = released_lot(world, "OLD", 100, expiry=today() + timedelta(days=40))
    # the lot expires: as if the calendar moved on
    assert expire_lots(today() + timedelta(days=41)) == ["OLD"]
    lot.refresh_from_db()
    assert lot.status == LotStatus.EXPIRED
    assert lot.batch.state == "expired"
    order(world, "orderer_a", 5)
    decided = services.allocate_product(world.users["technician"], world.product)
    assert decided[0].quantity_allocated == 0
    assert "no stock left" in decided[0].allocation_reason


def test_too_short_residual_shelf_life_is_not_shipped(world: World) -> None:
    released_lot(world, "SHORT", 100, expiry=today() + timedelta(days=10))
    order(world, "orderer_a", 5)
    decided = services.allocate_product(world.users["technician"], world.product)
    assert decided[0].quantity_allocated == 0


def test_orderers_act_only_for_their_hospital(world: World) -> None:
    released_lot(world, "R-001", 100)
    dispatch = shipped(world, 3)
    with pytest.raises(NotPermitted):
        receiving.record_scan(world.users["orderer_b"], dispatch, "x")
    with pytest.raises(NotPermitted):
        receiving.confirm_receipt(world.users["orderer_b"], dispatch)
    with pytest.raises(Refused):
        services.order_for(world.users["orderer_b"], dispatch.order.number)
    with pytest.raises(NotPermitted):
        services.allocate_product(world.users["orderer_a"], world.product)


def test_a_shipment_of_a_recalled_or_expired_lot_is_refused(world: World) -> None:
    from rempart.mes.stock.lots import move_lot
    from tests.mes.stock.factories import SYSTEM

    lot = released_lot(world, "R-001", 100)
    o = order(world, "orderer_a", 3)
    services.allocate_product(world.users["technician"], world.product)
    o.refresh_from_db()
    dispatch = services.pick_order(world.users["technician"], o)
    move_lot(SYSTEM, lot, LotStatus.DAMAGED, reason="fridge failure")
    with pytest.raises(Conflict) as caught:
        services.ship_dispatch(world.users["technician"], dispatch)
    assert "damaged" in caught.value.message
    assert ledger.check_ledger() == []


def test_reading_stock_expires_lots_so_none_shows_as_available(world: World) -> None:
    from rempart.mes.stock import queries

    released_lot(world, "OLD", 100, expiry=today() + timedelta(days=40))
    released_lot(world, "NEW", 100, expiry=today() + timedelta(days=170))
    pharmacist = world.users["pharmacist"]
    soon = queries.near_expiry_rows(pharmacist)
    assert [(loc.code, row.lot.lot_number, row.quantity) for loc, row in soon] == [
        ("CENTRAL", "OLD", 90)
    ]
    later = today() + timedelta(days=41)
    [central] = [p for p in queries.stock_by_location(pharmacist, later) if p.rows]
    shown = {row.lot.lot_number: (row.lot.status, row.available) for row in central.rows}
    assert shown == {"OLD": ("expired", False), "NEW": ("released", True)}
    assert central.available_total == 90
    assert Lot.objects.get(lot_number="OLD").status == "expired"


def test_returns_go_to_the_blocked_area_and_destruction_leaves_stock(world: World) -> None:
    from rempart.mes.stock.lots import move_lot
    from tests.mes.stock.factories import SYSTEM

    lot = released_lot(world, "R-001", 100)
    dispatch = shipped(world, 4)
    orderer = world.users["orderer_a"]
    for seq in (1, 2, 3, 4):
        receiving.record_scan(orderer, dispatch, scan_text(lot, seq))
    receiving.confirm_receipt(orderer, dispatch)
    with pytest.raises(Refused) as too_many:
        services.return_to_central(orderer, lot, 5, "cold chain broken")
    assert too_many.value.field == "quantity"
    with pytest.raises(Refused) as no_reason:
        services.return_to_central(orderer, lot, 2, " ")
    assert no_reason.value.field == "reason"
    services.return_to_central(orderer, lot, 2, "cold chain broken")
    tech = world.users["technician"]
    with pytest.raises(Conflict):
        services.destroy(tech, lot, ledger.CENTRAL, 1, "x")
    with pytest.raises(NotPermitted):
        services.destroy(orderer, lot, ledger.RETURNS, 2, "x")
    services.destroy(tech, lot, ledger.RETURNS, 2, "returned, cold chain broken")
    move_lot(SYSTEM, lot, LotStatus.DAMAGED, reason="fridge failure")
    lot.refresh_from_db()
    services.destroy(tech, lot, ledger.CENTRAL, 86, "fridge failure")
    here = ledger.hospital_location(world.hospital_a)
    assert ledger.balances(lots=[lot.pk]) == {(lot.pk, here.pk): 2}
    assert ledger.check_ledger() == []
