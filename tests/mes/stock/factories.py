"""Released lots with their vial records, made the short way (the batch app's own tests
cover how a batch gets there): a batch in RELEASED, the line's vial records (every tenth vial
rejected, so accepted serials are not one range), a lot opened and released."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from rempart.domain.lot import LotStatus
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.machine.models import VialRecord
from rempart.mes.stock.lots import move_lot, open_quarantine_lot
from rempart.mes.stock.models import Lot
from tests.mes.conftest import World

MOMENT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SYSTEM = Actor.system("tests")


def today() -> date:
    return timezone.localdate()


def make_batch(record: MasterRecord, number: str, vials: int, state: str = "released") -> Batch:
    """A batch in `state` with `vials` line records, every tenth rejected."""
    with audited_write(SYSTEM):
        batch = Batch.objects.create(
            batch_number=number,
            master_record=record,
            product=record.product,
            quantity_vials=max(vials, 1),
            planned_start=MOMENT,
            state=state,
            ordered_by_id=record.author_id,
        )
    VialRecord.objects.bulk_create(
        VialRecord(
            batch_number=number,
            vial_sequence=seq,
            line_id="LINE-1",
            event_sequence=seq,
            processed_at=MOMENT,
            terminal_state="rejected" if seq % 10 == 0 else "accepted",
        )
        for seq in range(1, vials + 1)
    )
    return batch


def released_lot(
    world: World,
    number: str,
    vials: int = 100,
    *,
    expiry: date | None = None,
    record: MasterRecord | None = None,
) -> Lot:
    """A released lot of `vials` line vials (90 % accepted), expiring `expiry`."""
    batch = make_batch(record or world.record, number, vials)
    accepted = vials - vials // 10
    lot = open_quarantine_lot(
        SYSTEM,
        batch,
        quantity_vials=accepted,
        fill_date=today() - timedelta(days=20),
        expected_release_date=None,
    )
    return move_lot(
        SYSTEM, lot, LotStatus.RELEASED, expiry_date=expiry or today() + timedelta(days=150)
    )
