"""The stock app's GMP models for the audit-capture tests (tests/mes/test_audit_capture.py):
each model with (a text column a change can touch, how to make a clone unique), and
`records(world)` creating at least two rows of each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import models

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.stock.models import (
    Dispatch,
    DispatchLine,
    Location,
    Lot,
    LotEvent,
    Movement,
    Order,
    OrderLine,
    Recall,
    RecallNotice,
    Receipt,
    ReceiptScan,
)
from tests.mes.conftest import World


def _free_batch(obj: Lot) -> None:
    obj.batch = Batch.objects.filter(lot__isnull=True).first()  # type: ignore[assignment]
    obj.lot_number = "AC-002"


def _free_location(obj: Location) -> None:
    obj.code = f"{obj.code}-CLONE"
    obj.kind = "central"
    obj.hospital = None


def _free_dispatch(obj: Receipt) -> None:
    obj.dispatch = Dispatch.objects.filter(receipt__isnull=True).first()  # type: ignore[assignment]


def _other_recall(obj: RecallNotice) -> None:
    obj.recall = Recall.objects.exclude(pk=obj.recall_id).first()  # type: ignore[assignment]


CASES: dict[type[models.Model], tuple[str, Callable[[Any], None]]] = {
    Lot: ("remark", _free_batch),
    LotEvent: ("reason", lambda obj: None),
    Location: ("name", _free_location),
    Movement: ("reason", lambda obj: None),
    Order: ("note", lambda obj: None),
    OrderLine: ("allocation_reason", lambda obj: None),
    Dispatch: ("picked_by", lambda obj: None),
    DispatchLine: ("serials", lambda obj: None),
    ReceiptScan: ("message", lambda obj: None),
    Receipt: ("note", _free_dispatch),
    Recall: ("reason", lambda obj: None),
    RecallNotice: ("explanation", _other_recall),
}


def records(world: World) -> None:
    """A lot for batch AC-001 made by `batch_records` (AC-002 stays free; one lot only, as
    its number is unique) and two rows of every other stock model, all on that lot."""
    with audited_write(Actor.system("tests")):
        lot = Lot.objects.create(
            batch=Batch.objects.get(batch_number="AC-001"),
            lot_number="AC-001",
            quantity_vials=90,
            fill_date=date(2026, 1, 5),
        )
        LotEvent.objects.create(lot=lot, target="quarantine", actor="tests")
        LotEvent.objects.create(lot=lot, source="quarantine", target="released", actor="tests")
        central = Location.objects.create(code="AC-CENTRAL", name="central", kind="central")
        here = Location.objects.create(
            code="AC-H", name="PUI", kind="hospital", hospital=world.hospital_a
        )
        Movement.objects.create(
            lot=lot, kind="release_receipt", target=central, quantity=50, actor="tests"
        )
        Movement.objects.create(
            lot=lot,
            kind="dispatch",
            source=central,
            target=here,
            quantity=5,
            serials="1-5",
            actor="tests",
        )
        user = world.users["orderer_a"]
        orders = [
            Order.objects.create(hospital=world.hospital_a, placed_by=user, note=f"order {i}")
            for i in (1, 2)
        ]
        lines = [
            OrderLine.objects.create(order=o, product=world.product, quantity_requested=10)
            for o in orders
        ]
        dispatches = [
            Dispatch.objects.create(order=orders[i % 2], hospital=world.hospital_a, picked_by="t")
            for i in range(3)
        ]
        for dispatch, line in zip(dispatches[:2], lines, strict=True):
            DispatchLine.objects.create(
                dispatch=dispatch, order_line=line, lot=lot, quantity=5, serials="1-5"
            )
            for serial in ("000001", "000002"):
                ReceiptScan.objects.create(
                    dispatch=dispatch,
                    raw="x",
                    gtin="04000000000012",
                    lot_number="AC-001",
                    serial=serial,
                    expiry=date(2026, 7, 4),
                    outcome="ok",
                    message="matches",
                    scanned_by="tests",
                )
            Receipt.objects.create(
                dispatch=dispatch, received_by="tests", accepted=2, flagged=0, missing=3
            )
        recalls = [
            Recall.objects.create(lot=lot, reason="test recall", opened_by="tests") for _ in (1, 2)
        ]
        for hospital in (world.hospital_a, world.hospital_b):
            RecallNotice.objects.create(recall=recalls[0], hospital=hospital, dispatched=5)
