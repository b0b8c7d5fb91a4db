"""Receipt at the hospital: each vial scanned against the dispatch, then the receipt closed.

Split from services.py (orders, allocation, picking, shipping), with the same rules: every
write is one function here, checking the role with `require()` and the hospital scope, inside
`audited_write()`; a refusal raises `Refused` naming the field and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Sum

from rempart.domain.lot import LotStatus
from rempart.domain.roles import Action
from rempart.domain.stock import (
    MovementKind,
    contains,
    parse_ranges,
    ranges_of,
)
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import audited_write
from rempart.mes.core.errors import Conflict, Refused
from rempart.mes.stock import ledger
from rempart.mes.stock.models import (
    Dispatch,
    DispatchStatus,
    Order,
    OrderStatus,
    Receipt,
    ReceiptScan,
    ScanOutcome,
)
from rempart.mes.stock.services import check_hospital_scope


def _receiver(user: User, dispatch: Dispatch) -> None:
    require(user, Action.RECEIVE_DELIVERY)
    check_hospital_scope(user, dispatch.hospital_id)
    if dispatch.status != DispatchStatus.SHIPPED:
        raise Conflict(
            f"{dispatch.number} is {dispatch.status}; only a shipped dispatch is received",
            field="status",
        )


def record_scan(user: User, dispatch: Dispatch, text: str, request_id: str = "") -> ReceiptScan:
    """Check one scanned (or typed) vial code against the dispatch and record the result.

    A code that cannot be read is refused (nothing recorded, the message names the field).
    A readable code is always recorded, with its outcome: ok, or flagged as a wrong lot, a
    wrong product, a serial not in the shipment, an expiry that differs from the lot's, a
    duplicate scan, or a recalled lot. Flagged vials are never counted as received.
    """
    from rempart.mes.labels.identity import gtin_for, parse_scan, sequence_from_serial

    _receiver(user, dispatch)
    identity = parse_scan(text)
    lines = list(dispatch.lines.select_related("lot__batch__product"))
    by_lot = {line.lot.lot_number: line for line in lines}
    gtins = {gtin_for(line.lot.batch.product) for line in lines}
    line = by_lot.get(identity.lot)
    outcome, message = ScanOutcome.OK, "matches the shipment"
    if identity.gtin not in gtins:
        outcome = ScanOutcome.WRONG_PRODUCT
        message = f"product {identity.gtin} is not in {dispatch.number}"
    elif line is None:
        outcome = ScanOutcome.WRONG_LOT
        shipped = ", ".join(sorted(by_lot)) or "none"
        message = f"lot {identity.lot} is not in {dispatch.number} (shipped: {shipped})"
    elif line.lot.expiry_date != identity.expiry:
        outcome = ScanOutcome.EXPIRY_MISMATCH
        message = (
            f"expiry {identity.expiry} on the vial, lot {identity.lot} expires "
            f"{line.lot.expiry_date}"
        )
    else:
        shipped_serials = parse_ranges(line.serials)
        try:
            sequence = sequence_from_serial(identity.serial)
        except Refused:
            sequence = 0
        if shipped_serials and not contains(shipped_serials, sequence):
            outcome = ScanOutcome.NOT_IN_SHIPMENT
            message = f"serial {identity.serial} of lot {identity.lot} was not shipped here"
        elif ReceiptScan.objects.filter(
            dispatch=dispatch,
            lot_number=identity.lot,
            serial=identity.serial,
            outcome=ScanOutcome.OK,
        ).exists():
            outcome = ScanOutcome.DUPLICATE
            message = f"serial {identity.serial} of lot {identity.lot} was already scanned"
        elif line.lot.status == LotStatus.RECALLED.value:
            outcome = ScanOutcome.RECALLED
            message = f"lot {identity.lot} is recalled: do not use, keep it for return"
    actor = actor_for(user, request_id)
    with audited_write(actor, reason=f"receipt scan for {dispatch.number}"):
        return ReceiptScan.objects.create(
            dispatch=dispatch,
            raw=text.strip()[:200],
            gtin=identity.gtin,
            lot_number=identity.lot,
            serial=identity.serial,
            expiry=identity.expiry,
            outcome=outcome.value,
            message=message[:300],
            scanned_by=actor.printed_name,
        )


@dataclass(frozen=True, slots=True)
class ReceiptProgress:
    expected: int
    accepted: int
    flagged: int

    @property
    def missing(self) -> int:
        return self.expected - self.accepted


def receipt_progress(dispatch: Dispatch) -> ReceiptProgress:
    expected = dispatch.lines.aggregate(n=Sum("quantity"))["n"] or 0
    scans = dispatch.scans.all()
    return ReceiptProgress(
        expected,
        scans.filter(outcome=ScanOutcome.OK).count(),
        scans.exclude(outcome=ScanOutcome.OK).count(),
    )


def confirm_receipt(
    user: User, dispatch: Dispatch, note: str = "", request_id: str = ""
) -> Receipt:
    """Close the receipt: the vials scanned ok enter the hospital's stock (with their
    serials); the rest stay in transit, listed as missing on the receipt."""
    from rempart.mes.labels.identity import sequence_from_serial

    _receiver(user, dispatch)
    progress = receipt_progress(dispatch)
    if progress.accepted == 0:
        raise Refused("no vial has been scanned as matching this dispatch", field="scan")
    if progress.missing > 0 and not note.strip():
        raise Refused(
            f"{progress.missing} vials of {progress.expected} were not scanned: say why "
            "(missing, damaged, not yet unpacked)",
            field="note",
        )
    actor = actor_for(user, request_id)
    transit = ledger.fixed_location(ledger.TRANSIT)
    here = ledger.hospital_location(dispatch.hospital)
    ok: dict[str, list[int]] = defaultdict(list)
    for lot_number, serial in dispatch.scans.filter(outcome=ScanOutcome.OK).values_list(
        "lot_number", "serial"
    ):
        ok[lot_number].append(sequence_from_serial(serial))
    with audited_write(actor, reason=f"receipt of {dispatch.number}"):
        changed = Dispatch.objects.filter(pk=dispatch.pk, status=DispatchStatus.SHIPPED).update(
            status=DispatchStatus.RECEIVED.value
        )
        if changed != 1:
            raise Conflict(f"{dispatch.number} changed meanwhile; reload it", field="status")
        for line in dispatch.lines.select_related("lot"):
            sequences = ok.get(line.lot.lot_number, [])
            if not sequences:
                continue
            shipped = parse_ranges(line.serials)
            received = ranges_of(sequences) if shipped else ()
            ledger.record(
                actor,
                line.lot,
                MovementKind.HOSPITAL_RECEIPT,
                source=transit,
                target=here,
                quantity=len(sequences),
                serials=received,
                reason=f"{dispatch.number} received",
                dispatch_id=dispatch.pk,
            )
        Order.objects.filter(pk=dispatch.order_id).update(status=OrderStatus.RECEIVED.value)
        receipt = Receipt.objects.create(
            dispatch=dispatch,
            received_by=actor.printed_name,
            accepted=progress.accepted,
            flagged=progress.flagged,
            missing=progress.missing,
            note=note.strip()[:500],
        )
    return receipt
