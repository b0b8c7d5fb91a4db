"""Batches, the line state and deviations over the API.

Read: a batch's record summary, the line's live status, the line state. Act (POST; session
authentication with Django's CSRF check, like the rest of the API): order, schedule,
preparation steps, line clearance, send to the line, hold and lift the hold; record and
verify decontaminations and format parts; open a deviation by hand, close one (QA, signed);
resolve a data gap (QA). Each handler parses, calls one service and answers the batch (or
record); every refusal is JSON `{"message", "field"}` with 400/403/404/409.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema, Status

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.batches import line_state, services
from rempart.mes.batches.models import Batch, Decontamination, FormatPartsSet
from rempart.mes.batches.preparation import sign_preparation_step
from rempart.mes.batches.record import batch_record
from rempart.mes.catalog.models import MasterRecord, VialFormat
from rempart.mes.core.errors import NotFound
from rempart.mes.core.pages import request_id
from rempart.mes.machine.dashboard import line_view
from rempart.mes.machine.models import DataGap
from rempart.mes.machine.services import resolve_data_gap
from rempart.mes.quality.models import Deviation
from rempart.mes.quality.services import close_deviation, open_deviation
from rempart.mes.signatures.services import signatures_of

router = Router(tags=["batches"])


class BatchOut(Schema):
    batch_number: str
    product_code: str
    master_record_id: int
    quantity_vials: int
    state: str
    vial_states: dict[str, int]
    fill_ipc: dict[str, int]
    reconciliation_balanced: bool | None
    open_deviations: list[str]
    unresolved_gaps: list[str]
    blockers: list[str]
    held_from: str = ""
    preparation_complete: bool = False
    preparation_next: list[str] | None = None
    component_lots: list[dict[str, str]] | None = None
    decontamination: str | None = None
    format_parts: str | None = None


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return require(user, Action.VIEW_MASTER_RECORDS)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _batch(number: str) -> Batch:
    found = (
        Batch.objects.select_related("product__vial_format", "product__molecule", "master_record")
        .filter(batch_number=number)
        .first()
    )
    if found is None:
        raise NotFound(f"no batch {number}", field="number")
    return found


def _summary(found: Batch) -> dict[str, Any]:
    found.refresh_from_db()
    r = batch_record(found)
    following = r.sheet.next
    return {
        "batch_number": found.batch_number,
        "product_code": found.product.code,
        "master_record_id": found.master_record_id,
        "quantity_vials": found.quantity_vials,
        "state": found.state,
        "vial_states": r.vial_states,
        "fill_ipc": r.fill_ipc,
        "reconciliation_balanced": r.reconciliation.balanced if r.reconciliation else None,
        "open_deviations": [d.number for d in r.deviations if d.status == "open"],
        "unresolved_gaps": [
            f"{g.first_sequence}-{g.last_sequence}" for g in r.gaps if g.resolved_at is None
        ],
        "blockers": r.blockers,
        "held_from": found.held_from,
        "preparation_complete": r.sheet.complete,
        "preparation_next": list(following) if following else None,
        "component_lots": [
            {
                "role": c.role,
                "item_code": c.item_code,
                "lot_number": c.lot_number,
                "expiry": c.expiry.isoformat(),
            }
            for c in r.component_lots
        ],
        "decontamination": found.decontamination.cycle_id if found.decontamination else None,
        "format_parts": found.format_parts.set_code if found.format_parts else None,
    }


@router.get("/batches/{number}", response=BatchOut)
def batch(request: HttpRequest, number: str) -> dict[str, Any]:
    _viewer(request)
    return _summary(_batch(number))


class BatchOrderIn(Schema):
    batch_number: str
    master_record_id: int
    quantity_vials: int
    planned_start: datetime
    line_id: str = "LINE-1"


class BatchSignIn(Schema):
    meaning: str
    password: str
    totp_code: str


class ClearanceIn(BatchSignIn):
    checks: str = ""


class PreparationIn(BatchSignIn):
    item_code: str = ""
    lot_number: str = ""
    expiry: date | None = None
    api_mg: str | None = None
    volume_ml: str | None = None
    comment: str = ""


class ReasonIn(Schema):
    reason: str


class VerifyIn(Schema):
    password: str
    totp_code: str


class DecontaminationIn(VerifyIn):
    cycle_id: str
    done_at: datetime
    valid_until: datetime
    method: str = "VHP"
    line_id: str = "LINE-1"


class FormatPartsIn(VerifyIn):
    set_code: str
    vial_format: str
    cleaned_at: datetime
    sterilised_at: datetime
    valid_until: datetime
    sterilisation_cycle: str = ""
    line_id: str = "LINE-1"


class LineRecordOut(Schema):
    id: int
    kind: str
    label: str
    valid_until: datetime
    vial_format: str | None = None
    verified: bool
    signatures: list[str]


class DeviationIn(Schema):
    title: str
    description: str
    classification: str
    batch_numbers: list[str]


class DeviationCloseIn(Schema):
    investigation: str
    capa_reference: str = ""
    password: str
    totp_code: str


class DeviationOut(Schema):
    id: int
    number: str
    title: str
    classification: str
    status: str
    source: str
    batch_numbers: list[str]
    investigation: str
    capa_reference: str
    closed_at: datetime | None


class GapOut(Schema):
    id: int
    batch_number: str | None
    first_sequence: int
    last_sequence: int
    resolved_by: str
    resolution: str


@router.post("/batches", response={201: BatchOut})
def order(request: HttpRequest, payload: BatchOrderIn) -> Status[dict[str, Any]]:
    record = MasterRecord.objects.select_related("product").filter(pk=payload.master_record_id)
    found = record.first()
    if found is None:
        raise NotFound(f"no master record {payload.master_record_id}", field="master_record_id")
    created = services.create_batch_order(
        _user(request),
        batch_number=payload.batch_number,
        master_record=found,
        quantity_vials=payload.quantity_vials,
        planned_start=payload.planned_start,
        line_id=payload.line_id,
        request_id=request_id(request),
    )
    return Status(201, _summary(created))


@router.post("/batches/{number}/schedule", response=BatchOut)
def schedule(request: HttpRequest, number: str) -> dict[str, Any]:
    return _summary(services.schedule_batch(_user(request), _batch(number), request_id(request)))


@router.post("/batches/{number}/preparation/{step}", response=BatchOut)
def preparation(
    request: HttpRequest, number: str, step: str, payload: PreparationIn
) -> dict[str, Any]:
    found = _batch(number)
    sign_preparation_step(
        _user(request),
        found,
        step=step,
        meaning=payload.meaning,
        password=payload.password,
        totp_code=payload.totp_code,
        item_code=payload.item_code,
        lot_number=payload.lot_number,
        expiry=payload.expiry,
        api_mg=payload.api_mg,
        volume_ml=payload.volume_ml,
        comment=payload.comment,
        request_id=request_id(request),
    )
    return _summary(found)


@router.post("/batches/{number}/clearance", response=BatchOut)
def clearance(request: HttpRequest, number: str, payload: ClearanceIn) -> dict[str, Any]:
    found = _batch(number)
    services.sign_line_clearance(
        _user(request),
        found,
        meaning=payload.meaning,
        password=payload.password,
        totp_code=payload.totp_code,
        checks=payload.checks,
        request_id=request_id(request),
    )
    return _summary(found)


@router.post("/batches/{number}/send", response=BatchOut)
def send(request: HttpRequest, number: str) -> dict[str, Any]:
    found = services.send_to_line(
        _user(request),
        _batch(number),
        settings.CONFIG.opcua_endpoint,
        request_id=request_id(request),
    )
    return _summary(found)


@router.post("/batches/{number}/hold", response=BatchOut)
def hold(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    found = services.hold_batch(_user(request), _batch(number), payload.reason, request_id(request))
    return _summary(found)


@router.post("/batches/{number}/release-hold", response=BatchOut)
def release(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    found = services.release_hold(
        _user(request), _batch(number), payload.reason, request_id(request)
    )
    return _summary(found)


def _line_record(record: Decontamination | FormatPartsSet) -> dict[str, Any]:
    shown = signatures_of(record)
    meanings = {s.signature.meaning for s in shown if s.valid}
    is_decon = isinstance(record, Decontamination)
    return {
        "id": record.pk,
        "kind": "decontamination" if is_decon else "format_parts",
        "label": record.cycle_id if isinstance(record, Decontamination) else record.set_code,
        "valid_until": record.valid_until,
        "vial_format": None if isinstance(record, Decontamination) else record.vial_format.code,
        "verified": {"performed", "verified"} <= meanings,
        "signatures": [f"{s.text} — {s.status}" for s in shown],
    }


@router.get("/line-state", response=list[LineRecordOut])
def line_state_list(request: HttpRequest, line: str = "LINE-1") -> list[dict[str, Any]]:
    _viewer(request)
    state = line_state.line_state(line)
    records: list[Any] = [d for d, _ in state["decontaminations"]]  # type: ignore[attr-defined]
    records += [p for p, _ in state["format_parts"]]  # type: ignore[attr-defined]
    return [_line_record(r) for r in records]


@router.post("/line-state/decontaminations", response={201: LineRecordOut})
def new_decontamination(request: HttpRequest, payload: DecontaminationIn) -> Status[dict[str, Any]]:
    record = line_state.record_decontamination(
        _user(request),
        cycle_id=payload.cycle_id,
        done_at=payload.done_at,
        valid_until=payload.valid_until,
        method=payload.method,
        line_id=payload.line_id,
        password=payload.password,
        totp_code=payload.totp_code,
        request_id=request_id(request),
    )
    return Status(201, _line_record(record))


@router.post("/line-state/format-parts", response={201: LineRecordOut})
def new_format_parts(request: HttpRequest, payload: FormatPartsIn) -> Status[dict[str, Any]]:
    fmt = VialFormat.objects.filter(code=payload.vial_format).first()
    if fmt is None:
        raise NotFound(f"no vial format {payload.vial_format}", field="vial_format")
    record = line_state.record_format_parts(
        _user(request),
        set_code=payload.set_code,
        vial_format=fmt,
        cleaned_at=payload.cleaned_at,
        sterilised_at=payload.sterilised_at,
        valid_until=payload.valid_until,
        sterilisation_cycle=payload.sterilisation_cycle,
        line_id=payload.line_id,
        password=payload.password,
        totp_code=payload.totp_code,
        request_id=request_id(request),
    )
    return Status(201, _line_record(record))


@router.post("/line-state/decontaminations/{pk}/verify", response=LineRecordOut)
def verify_decontamination(request: HttpRequest, pk: int, payload: VerifyIn) -> dict[str, Any]:
    record = Decontamination.objects.filter(pk=pk).first()
    if record is None:
        raise NotFound(f"no decontamination {pk}", field="pk")
    line_state.verify(
        _user(request),
        record,
        password=payload.password,
        totp_code=payload.totp_code,
        request_id=request_id(request),
    )
    return _line_record(record)


@router.post("/line-state/format-parts/{pk}/verify", response=LineRecordOut)
def verify_format_parts(request: HttpRequest, pk: int, payload: VerifyIn) -> dict[str, Any]:
    record = FormatPartsSet.objects.select_related("vial_format").filter(pk=pk).first()
    if record is None:
        raise NotFound(f"no format parts set {pk}", field="pk")
    line_state.verify(
        _user(request),
        record,
        password=payload.password,
        totp_code=payload.totp_code,
        request_id=request_id(request),
    )
    return _line_record(record)


def _deviation(d: Deviation) -> dict[str, Any]:
    return {
        "id": d.pk,
        "number": d.number,
        "title": d.title,
        "classification": d.classification,
        "status": d.status,
        "source": d.source,
        "batch_numbers": [b.batch_number for b in d.batches.all()],
        "investigation": d.investigation,
        "capa_reference": d.capa_reference,
        "closed_at": d.closed_at,
    }


@router.get("/deviations", response=list[DeviationOut])
def deviations(request: HttpRequest, status: str = "") -> list[dict[str, Any]]:
    _viewer(request)
    found = Deviation.objects.prefetch_related("batches")
    if status:
        found = found.filter(status=status)
    return [_deviation(d) for d in found[:500]]


@router.post("/deviations", response={201: DeviationOut})
def new_deviation(request: HttpRequest, payload: DeviationIn) -> Status[dict[str, Any]]:
    created = open_deviation(
        _user(request),
        title=payload.title,
        description=payload.description,
        classification=payload.classification,
        batch_numbers=payload.batch_numbers,
        request_id=request_id(request),
    )
    return Status(201, _deviation(created))


@router.post("/deviations/{pk}/close", response=DeviationOut)
def close(request: HttpRequest, pk: int, payload: DeviationCloseIn) -> dict[str, Any]:
    found = Deviation.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(f"no deviation {pk}", field="pk")
    closed = close_deviation(
        _user(request),
        found,
        investigation=payload.investigation,
        capa_reference=payload.capa_reference,
        password=payload.password,
        totp_code=payload.totp_code,
        request_id=request_id(request),
    )
    return _deviation(closed)


@router.post("/data-gaps/{pk}/resolve", response=GapOut)
def resolve(request: HttpRequest, pk: int, payload: ReasonIn) -> dict[str, Any]:
    found = DataGap.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(f"no data gap {pk}", field="pk")
    gap = resolve_data_gap(_user(request), found, payload.reason, request_id(request))
    return {
        "id": gap.pk,
        "batch_number": gap.batch_number,
        "first_sequence": gap.first_sequence,
        "last_sequence": gap.last_sequence,
        "resolved_by": gap.resolved_by,
        "resolution": gap.resolution,
    }


@router.get("/line/status")
def line_status(request: HttpRequest, line: str = "LINE-1") -> dict[str, Any]:
    _viewer(request)
    return line_view(line).as_json()
