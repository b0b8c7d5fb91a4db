"""Released and quarantined lots with their vial records, for the labels tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.catalog.models import Product
from rempart.mes.machine.models import VialRecord
from rempart.mes.stock.models import Lot
from tests.mes.conftest import World

MOMENT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
FILL_DATE = date(2026, 1, 5)
#: Well ahead of today, so that the lot is printable whenever the tests run.
EXPIRY = datetime.now(UTC).date() + timedelta(days=200)


def make_lot(
    world: World,
    number: str = "ROC-26-001",
    *,
    status: str = "released",
    states: Iterable[str] = ("accepted",) * 8 + ("rejected", "qc_sample", "accepted"),
    product: Product | None = None,
) -> Lot:
    """A lot of `number` whose vial sequences 1.. ended in `states` (released: with expiry)."""
    states = list(states)
    with audited_write(Actor.system("tests")):
        batch = Batch.objects.create(
            batch_number=number,
            master_record=world.record,
            product=product or world.product,
            quantity_vials=len(states),
            planned_start=MOMENT,
            ordered_by=world.users["technician"],
        )
        lot = Lot.objects.create(
            batch=batch,
            lot_number=number,
            status=status,
            quantity_vials=states.count("accepted"),
            fill_date=FILL_DATE,
            expiry_date=EXPIRY if status == "released" else None,
        )
    VialRecord.objects.bulk_create(
        VialRecord(
            batch_number=number,
            vial_sequence=seq,
            line_id="LINE-1",
            event_sequence=seq,
            processed_at=MOMENT,
            terminal_state=state,
        )
        for seq, state in enumerate(states, start=1)
    )
    return lot
