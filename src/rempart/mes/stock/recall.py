"""Recall of a lot, forward traceability (lot → serials → dispatches → receipts) and
backward traceability (a vial's serial or scan → batch, master record, components, machine).

`open_recall` blocks the lot everywhere in one transaction: the lot goes to recalled (so no
pick, shipment or receipt can accept it), its batch to RECALLED, unshipped picks go back to
central stock, and every hospital that was sent the lot gets a notice with its quantity and
serials. Hospitals acknowledge with returned and used counts; the recall closes with a
reconciliation (dispatched = returned + used + missing, missing explained) e-signed by a
pharmacist or QA reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from rempart.domain.batch import BatchState
from rempart.domain.errors import DomainError
from rempart.domain.lot import LotStatus
from rempart.domain.roles import Action, Role
from rempart.domain.signatures import Meaning
from rempart.domain.stock import (
    MovementKind,
    Ranges,
    RecallLine,
    check_recall_line,
    contains,
    format_ranges,
    parse_ranges,
    reconciliation_text,
    union,
)
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import audited_write
from rempart.mes.catalog.models import Hospital
from rempart.mes.core.columns import fitting
from rempart.mes.core.errors import Conflict, NotFound, Refused
from rempart.mes.signatures.services import (
    ShownSignature,
    check_signer_may_sign,
    signatures_of,
    write_signature,
)
from rempart.mes.stock import ledger
from rempart.mes.stock.lots import move_lot
from rempart.mes.stock.models import (
    Dispatch,
    DispatchStatus,
    Location,
    Lot,
    Movement,
    Recall,
    RecallNotice,
)
from rempart.mes.stock.services import _unpick, check_hospital_scope


def lot_by_number(lot_number: str) -> Lot:
    lot = Lot.objects.select_related("batch__product").filter(lot_number=lot_number.strip()).first()
    if lot is None:
        raise NotFound(f"no lot {lot_number.strip()!r}", field="lot")
    return lot


@dataclass
class HospitalShare:
    """What one hospital was sent of a lot, from the dispatch movements."""

    hospital: Hospital
    dispatched: int = 0
    received: int = 0
    serials: Ranges = ()
    dispatches: list[str] = field(default_factory=list)

    @property
    def in_transit(self) -> int:
        return self.dispatched - self.received


def forward(lot: Lot) -> list[HospitalShare]:
    """Every hospital the lot was shipped to: quantity, serials, dispatches, received.
    Reads the lot's dispatch and receipt movements only (tens of rows for 8,000 vials)."""
    moves = (
        Movement.objects.filter(
            lot=lot,
            kind__in=(MovementKind.DISPATCH.value, MovementKind.HOSPITAL_RECEIPT.value),
        )
        .select_related("dispatch__hospital")
        .order_by("id")
    )
    shares: dict[int, HospitalShare] = {}
    for m in moves:
        assert m.dispatch is not None
        hospital = m.dispatch.hospital
        share = shares.setdefault(hospital.pk, HospitalShare(hospital))
        if m.kind == MovementKind.DISPATCH:
            share.dispatched += m.quantity
            share.serials = union(share.serials, parse_ranges(m.serials))
            share.dispatches.append(m.dispatch.number)
        else:
            share.received += m.quantity
    return sorted(shares.values(), key=lambda s: s.hospital.name)


def open_recall(user: User, lot: Lot, reason: str, request_id: str = "") -> Recall:
    """Recall `lot`: blocked everywhere at once, notices to every hospital sent it."""
    require(user, Action.RECALL_LOT)
    if not reason.strip():
        raise Refused("say why the lot is recalled", field="reason")
    if lot.status != LotStatus.RELEASED.value:
        raise Conflict(
            f"lot {lot.lot_number} is {lot.status}; only a released lot is recalled "
            "(a quarantine lot is rejected instead)",
            field="status",
        )
    from rempart.mes.batches.services import move

    actor = actor_for(user, request_id)
    with audited_write(actor, reason=f"recall: {reason.strip()}"):
        move_lot(actor, lot, LotStatus.RECALLED, reason=reason.strip())
        batch = lot.batch
        if batch.state == BatchState.RELEASED.value:
            move(actor, batch, BatchState.RECALLED, reason=reason.strip())
        recall = Recall.objects.create(lot=lot, reason=reason.strip(), opened_by=actor.printed_name)
        picked = Dispatch.objects.filter(status=DispatchStatus.PICKED, lines__lot=lot).distinct()
        for dispatch in picked:
            _unpick(actor, dispatch, f"lot {lot.lot_number} recalled")
        RecallNotice.objects.bulk_create(
            RecallNotice(
                recall=recall,
                hospital=share.hospital,
                dispatched=share.dispatched,
                serials=format_ranges(share.serials),
            )
            for share in forward(lot)
        )
    return recall


def _hospital_transit(recall: Recall, hospital: Hospital) -> int:
    """Vials of the recalled lot sent to `hospital` and still in transit."""
    moves = Movement.objects.filter(lot=recall.lot, dispatch__hospital=hospital)
    sent = moves.filter(kind=MovementKind.DISPATCH).aggregate(n=Sum("quantity"))["n"] or 0
    arrived = (
        moves.filter(kind=MovementKind.HOSPITAL_RECEIPT).aggregate(n=Sum("quantity"))["n"] or 0
    )
    returned = (
        Movement.objects.filter(
            recall=recall, kind=MovementKind.RECALL_RETURN, reason__endswith=f"[{hospital.code}]"
        )
        .exclude(source__kind="hospital")
        .aggregate(n=Sum("quantity"))["n"]
        or 0
    )
    return sent - arrived - returned


def acknowledge(
    user: User,
    notice: RecallNotice,
    *,
    returned: int,
    used: int,
    explanation: str = "",
    request_id: str = "",
) -> RecallNotice:
    """A hospital acknowledges the recall with the vials it returns and those already used
    (its orderer, or the central pharmacy on its behalf). The returned vials go to the
    blocked returns area, from the hospital's stock first, then from what is in transit."""
    if user.role == Role.ORDERER:
        require(user, Action.RECEIVE_DELIVERY)
        check_hospital_scope(user, notice.hospital_id)
    else:
        require(user, Action.RECALL_LOT)
    recall = notice.recall
    if recall.closed_at is not None:
        raise Conflict("this recall is closed", field="recall")
    if notice.acknowledged_at is not None:
        raise Conflict(f"{notice.hospital.name} has already acknowledged", field="notice")
    line = RecallLine(notice.hospital.name, notice.dispatched, returned, used)
    fitting(RecallNotice, "explanation", explanation.strip(), field="explanation")
    try:
        check_recall_line(line, explanation or "(to explain at closure)")
    except DomainError as exc:
        raise Refused(exc.message, field=exc.field) from None
    actor = actor_for(user, request_id)
    here = ledger.hospital_location(notice.hospital)
    transit = ledger.fixed_location(ledger.TRANSIT)
    returns = ledger.fixed_location(ledger.RETURNS)
    lot = recall.lot
    with audited_write(actor, reason=f"recall of {lot.lot_number} acknowledged"):
        at_hospital, _ = ledger.serials_at(lot, here)
        if used > at_hospital:
            raise Refused(
                f"{used} declared used but only {at_hospital} were received at "
                f"{notice.hospital.name}",
                field="used",
            )
        from_hospital = min(returned, at_hospital - used)
        from_transit = returned - from_hospital
        if from_transit > _hospital_transit(recall, notice.hospital):
            raise Refused(
                f"{returned} returned is more than {notice.hospital.name} holds",
                field="returned",
            )
        tag = f"[{notice.hospital.code}]"
        for source, qty in ((here, from_hospital), (transit, from_transit)):
            if qty:
                ledger.record(
                    actor,
                    lot,
                    MovementKind.RECALL_RETURN,
                    source=source,
                    target=returns,
                    quantity=qty,
                    reason=f"recall return {tag}",
                    recall_id=recall.pk,
                )
        if used:
            ledger.record(
                actor,
                lot,
                MovementKind.USE_DECLARED,
                source=here,
                target=None,
                quantity=used,
                reason=f"used before the recall {tag}",
                recall_id=recall.pk,
            )
        RecallNotice.objects.filter(pk=notice.pk).update(
            acknowledged_by=actor.printed_name,
            acknowledged_at=timezone.now(),
            returned=returned,
            used=used,
            explanation=explanation.strip(),
        )
    notice.refresh_from_db()
    return notice


def close_recall(
    user: User,
    recall: Recall,
    *,
    explanations: dict[int, str],
    password: str,
    totp_code: str,
    request_id: str = "",
) -> Recall:
    """Close with the signed reconciliation: every hospital has acknowledged, and every
    missing vial is explained (`explanations` by notice id, else the acknowledgement's)."""
    require(user, Action.RECALL_LOT)
    if recall.closed_at is not None:
        raise Conflict("this recall is already closed", field="recall")
    notices = list(recall.notices.select_related("hospital"))
    waiting = [n.hospital.name for n in notices if n.acknowledged_at is None]
    if waiting:
        raise Conflict("not yet acknowledged by " + ", ".join(waiting), field="notices")
    lines = []
    notes: dict[str, str] = {}
    for notice in notices:
        note = (explanations.get(notice.pk) or notice.explanation).strip()
        fitting(RecallNotice, "explanation", note, field=f"explanation.{notice.pk}")
        line = RecallLine(notice.hospital.name, notice.dispatched, notice.returned, notice.used)
        try:
            check_recall_line(line, note)
        except DomainError as exc:
            raise Refused(exc.message, field=f"explanation.{notice.pk}") from None
        lines.append(line)
        notes[notice.hospital.name] = note
    check_signer_may_sign(
        user, meaning=Meaning.APPROVED.value, password=password, totp_code=totp_code
    )
    actor = actor_for(user, request_id)
    lot = recall.lot
    with audited_write(actor, reason=f"recall of {lot.lot_number} closed"):
        for notice in notices:
            if notice.missing:
                ledger.record(
                    actor,
                    lot,
                    MovementKind.LOSS,
                    source=_missing_from(recall, notice),
                    target=None,
                    quantity=notice.missing,
                    reason=f"recall: missing, {notes[notice.hospital.name]} "
                    f"[{notice.hospital.code}]"[:500],
                    recall_id=recall.pk,
                )
            if notes[notice.hospital.name] != notice.explanation:
                RecallNotice.objects.filter(pk=notice.pk).update(
                    explanation=notes[notice.hospital.name]
                )
        Recall.objects.filter(pk=recall.pk).update(
            closed_at=timezone.now(), reconciliation=reconciliation_text(lines, notes)
        )
        recall.refresh_from_db()
        write_signature(
            user, recall, Meaning.APPROVED, comment="recall reconciliation", request_id=request_id
        )
    return recall


def _missing_from(recall: Recall, notice: RecallNotice) -> Location:
    here = ledger.hospital_location(notice.hospital)
    at_hospital, _ = ledger.serials_at(recall.lot, here)
    return here if at_hospital >= notice.missing else ledger.fixed_location(ledger.TRANSIT)


def recall_signatures(recall: Recall) -> list[ShownSignature]:
    return signatures_of(recall)


@dataclass
class RecallView:
    recall: Recall
    lot: Lot
    notices: list[RecallNotice]
    central: dict[str, int]
    total_dispatched: int
    total_returned: int
    total_used: int


def recall_view(recall: Recall, user: User) -> RecallView:
    """The recall's list: each hospital with its quantity and serials; orderers see theirs."""
    notices = list(recall.notices.select_related("hospital").order_by("hospital__name"))
    if user.role == Role.ORDERER:
        notices = [n for n in notices if n.hospital_id == user.hospital_id]
    lot = recall.lot
    central = {}
    if user.role != Role.ORDERER:
        fixed = Location.objects.filter(code__in=[ledger.CENTRAL, ledger.BAY, ledger.RETURNS])
        names = {loc.pk: loc.name for loc in fixed}
        for (_, loc), qty in ledger.balances(lots=[lot.pk], locations=names).items():
            central[names[loc]] = qty
    return RecallView(
        recall,
        lot,
        notices,
        central,
        sum(n.dispatched for n in notices),
        sum(n.returned for n in notices),
        sum(n.used for n in notices),
    )


# --- backward traceability ----------------------------------------------------------------


@dataclass
class Trace:
    lot: Lot
    serial: str
    sequence: int
    batch: Any
    master_record: Any
    components: list[Any]
    formula: dict[str, Any]
    vial: Any
    machine_events: list[Any]
    shipped_to: str | None
    dispatch: str | None


def trace(user: User, query: str) -> Trace:
    """From a vial (a scan, typed code, or "LOT/SERIAL") back to its batch, master record
    version, component lots and machine data, and forward to where it was shipped."""
    from rempart.mes.labels.identity import parse_scan, sequence_from_serial
    from rempart.mes.machine.models import MachineEvent, VialRecord

    require(user, Action.RECALL_LOT)
    text = query.strip()
    if "/" in text and not text.startswith(("(", "]")):
        lot_number, _, serial = text.partition("/")
        lot_number, serial = lot_number.strip(), serial.strip()
    else:
        identity = parse_scan(text)
        lot_number, serial = identity.lot, identity.serial
    lot = lot_by_number(lot_number)
    sequence = sequence_from_serial(serial)
    batch = lot.batch
    record = batch.master_record
    vial = VialRecord.objects.filter(
        batch_number=batch.batch_number, vial_sequence=sequence
    ).first()
    receipt = lot.movements.filter(kind=MovementKind.RELEASE_RECEIPT).first()
    if (
        receipt is not None
        and receipt.serials
        and not contains(parse_ranges(receipt.serials), sequence)
    ):
        state = f" (the line recorded it {vial.terminal_state})" if vial is not None else ""
        raise NotFound(
            f"vial {serial} was not released with lot {lot.lot_number}{state}", field="serial"
        )
    events = []
    if vial is not None:
        events = list(
            MachineEvent.objects.filter(line_id=vial.line_id, sequence=vial.event_sequence)
        )
    # Component lots are recorded at preparation by the batch app (ComponentLot).
    related = getattr(batch, "component_lots", None)
    components = list(related.all()) if related is not None else []
    shipped_to = dispatch = None
    for m in Movement.objects.filter(lot=lot, kind=MovementKind.DISPATCH).select_related(
        "dispatch__hospital"
    ):
        if m.dispatch is not None and contains(parse_ranges(m.serials), sequence):
            shipped_to, dispatch = m.dispatch.hospital.name, m.dispatch.number
    formula = {
        "batch_size_vials": record.batch_size_vials,
        "diluent": record.diluent,
        "dead_volume_ml": record.dead_volume_ml,
        "line_losses_ml": record.line_losses_ml,
    }
    return Trace(
        lot,
        serial,
        sequence,
        batch,
        record,
        components,
        formula,
        vial,
        events,
        shipped_to,
        dispatch,
    )
