"""Opening a lot in quarantine and moving it between statuses (the only writers of `Lot`).

Release, rejection, recall and expiry all come through `move_lot`; callers run it inside
their own `audited_write` so that a batch decision and its lot move are one transaction.
A release also enters the lot's good vials into central stock (the ledger's first
movement, with their serials when the line recorded them). `expire_lots(today)` moves
released lots past their expiry to expired; the stock pages call it before they read.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from rempart.domain.batch import BatchState
from rempart.domain.errors import DomainError
from rempart.domain.lot import LotStatus, lot_transition
from rempart.domain.lot import expiry_date as shelf_life_end
from rempart.domain.stock import MovementKind, Ranges, ranges_of
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.core.errors import Conflict, Refused
from rempart.mes.stock.models import Lot, LotEvent


def open_quarantine_lot(
    actor: Actor,
    batch: Batch,
    *,
    quantity_vials: int,
    fill_date: date,
    expected_release_date: date | None,
) -> Lot:
    """The batch's lot, in quarantine; opening it twice returns the one already open."""
    existing = Lot.objects.filter(batch=batch).first()
    if existing is not None:
        return existing
    if len(batch.batch_number) > 20:
        raise Refused("a lot number has at most 20 characters (GS1 AI 10)", field="batch_number")
    if quantity_vials < 0:
        raise Refused("the quantity cannot be negative", field="quantity_vials")
    with audited_write(actor, reason="lot opened in quarantine"):
        lot = Lot.objects.create(
            batch=batch,
            lot_number=batch.batch_number,
            quantity_vials=quantity_vials,
            fill_date=fill_date,
            # Known from the fill: labels carry it, so it is set when the lot opens.
            expiry_date=shelf_life_end(fill_date, batch.product.shelf_life_days),
            expected_release_date=expected_release_date,
        )
        LotEvent.objects.create(lot=lot, target=LotStatus.QUARANTINE, actor=actor.printed_name)
    return lot


def move_lot(
    actor: Actor,
    lot: Lot,
    target: LotStatus,
    *,
    reason: str = "",
    expiry_date: date | None = None,
) -> Lot:
    """One checked status change, recorded as a `LotEvent`. A release needs `expiry_date`."""
    try:
        step = lot_transition(LotStatus(lot.status), target, reason)
    except DomainError as exc:
        raise Conflict(exc.message, field=exc.field or "status") from None
    changes: dict[str, object] = {"status": step.target.value}
    if step.target is LotStatus.RELEASED:
        if expiry_date is None:
            raise Refused("a released lot needs its expiry date", field="expiry_date")
        changes["expiry_date"] = expiry_date
    with audited_write(actor, reason=step.reason or f"lot {step.source} → {step.target}"):
        updated = Lot.objects.filter(pk=lot.pk, status=step.source.value).update(**changes)
        if updated != 1:
            raise Conflict(f"lot {lot.lot_number} changed meanwhile; reload it", field="status")
        LotEvent.objects.create(
            lot=lot,
            source=step.source.value,
            target=step.target.value,
            reason=step.reason,
            actor=actor.printed_name,
        )
        if step.target is LotStatus.RELEASED:
            _receive_at_release(actor, lot)
    lot.refresh_from_db()
    return lot


def released_serials(lot: Lot) -> Ranges:
    """The vial sequences the line accepted for this lot's batch, when they add up to the
    lot's quantity; () when the line gave no vial records (only the count is known)."""
    from rempart.mes.machine.models import VialRecord

    sequences = VialRecord.objects.filter(
        batch_number=lot.lot_number, terminal_state="accepted"
    ).values_list("vial_sequence", flat=True)
    found = ranges_of(sequences)
    if sum(b - a + 1 for a, b in found) != lot.quantity_vials:
        return ()
    return found


def _receive_at_release(actor: Actor, lot: Lot) -> None:
    from rempart.mes.stock import ledger

    if lot.quantity_vials == 0 or lot.movements.exists():
        return
    ledger.record(
        actor,
        lot,
        MovementKind.RELEASE_RECEIPT,
        source=None,
        target=ledger.fixed_location(ledger.CENTRAL),
        quantity=lot.quantity_vials,
        serials=released_serials(lot),
        reason="released lot received into central stock",
    )


def expire_lots(today: date) -> list[str]:
    """Move every released lot whose expiry is before `today` to expired (and its batch,
    when released, to EXPIRED). Returns the lot numbers moved. Idempotent; the stock pages
    call it before reading, and `rempart mes expire-lots` may run it daily."""
    from rempart.mes.batches.services import move

    actor = Actor.system("expiry")
    moved = []
    due = Lot.objects.filter(status=LotStatus.RELEASED.value, expiry_date__lt=today)
    for lot in due.select_related("batch"):
        with transaction.atomic():
            try:
                move_lot(actor, lot, LotStatus.EXPIRED, reason=f"expired on {lot.expiry_date}")
            except Conflict:
                continue  # someone else moved it meanwhile (recalled, expired)
            if lot.batch.state == BatchState.RELEASED.value:
                move(actor, lot.batch, BatchState.EXPIRED, reason="lot expired")
        moved.append(lot.lot_number)
    return moved
