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
from rempart.mes.stock.models import Lot, LotEvent
from tests.mes.conftest import World


def _free_batch(obj: Lot) -> None:
    obj.batch = Batch.objects.filter(lot__isnull=True).first()  # type: ignore[assignment]
    obj.lot_number = "AC-002"


CASES: dict[type[models.Model], tuple[str, Callable[[Any], None]]] = {
    Lot: ("lot_number", _free_batch),
    LotEvent: ("reason", lambda obj: None),
}


def records(world: World) -> None:
    """A quarantine lot for batch AC-001 made by `batch_records` (AC-002 stays free)."""
    with audited_write(Actor.system("tests")):
        lot = Lot.objects.create(
            batch=Batch.objects.get(batch_number="AC-001"),
            lot_number="AC-001",
            quantity_vials=90,
            fill_date=date(2026, 1, 5),
        )
        LotEvent.objects.create(lot=lot, target="quarantine", actor="tests")
        LotEvent.objects.create(lot=lot, source="quarantine", target="released", actor="tests")
