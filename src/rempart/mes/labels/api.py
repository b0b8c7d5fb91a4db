"""JSON API routes of the labels app (mounted under /api/): print and reprint a lot's labels
(the answer is the PDF), record labels applied/destroyed/returned, read the print history and
the reconciliation, and parse a scanned vial code. Errors are JSON {"message", "field"}."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.core.errors import NotFound
from rempart.mes.core.pages import request_id
from rempart.mes.labels import identity, services
from rempart.mes.labels.views import pdf_response, serials_from
from rempart.mes.stock.models import Lot

router = Router(tags=["labels"])


def _user(request: HttpRequest, action: Action) -> User:
    return require(request.user, action)


def _lot(number: str) -> Lot:
    lot = Lot.objects.select_related("batch__product__molecule").filter(lot_number=number).first()
    if lot is None:
        raise NotFound(f"no lot {number}", field="lot")
    return lot


class PrintIn(Schema):
    serials: str = ""


class ReprintIn(Schema):
    serials: str = ""
    reason: str


class CountIn(Schema):
    kind: str
    quantity: int
    reason: str = ""


class LabelScanIn(Schema):
    text: str


class IdentityOut(Schema):
    gtin: str
    expiry: date
    lot: str
    serial: str
    element_string: str
    human_readable: str


class EventOut(Schema):
    at: datetime
    kind: str
    quantity: int
    serials: str
    reason: str
    actor: str


class HistoryOut(Schema):
    lot: str
    status: str
    good_vials: int
    labelled: int
    reconciliation: dict[str, int] | None
    events: list[EventOut]


@router.post("/labels/lots/{number}/print", response={200: None})
def print_labels(request: HttpRequest, number: str, payload: PrintIn) -> HttpResponse:
    """Print the labels of every accepted vial not labelled yet (or `serials`, e.g. "1-500")."""
    printed = services.print_labels(
        _user(request, Action.PRINT_LABELS),
        _lot(number),
        serials=serials_from(payload.serials),
        request_id=request_id(request),
    )
    return pdf_response(printed)


@router.post("/labels/lots/{number}/reprint", response={200: None})
def reprint_labels(request: HttpRequest, number: str, payload: ReprintIn) -> HttpResponse:
    """Reprint labels printed before (all, or `serials`); a reason is required."""
    printed = services.reprint_labels(
        _user(request, Action.PRINT_LABELS),
        _lot(number),
        reason=payload.reason,
        serials=serials_from(payload.serials),
        request_id=request_id(request),
    )
    return pdf_response(printed)


@router.post("/labels/lots/{number}/counts", response={201: EventOut})
def record_count(request: HttpRequest, number: str, payload: CountIn) -> Status[Any]:
    """Labels `applied` to vials, `destroyed` (with a reason) or `returned`."""
    row = services.record_label_count(
        _user(request, Action.PRINT_LABELS),
        _lot(number),
        kind=payload.kind,
        quantity=payload.quantity,
        reason=payload.reason,
        request_id=request_id(request),
    )
    return Status(201, {**_event(row), "serials": ""})


def _event(row: Any) -> dict[str, Any]:
    return {
        "at": row.at,
        "kind": row.kind,
        "quantity": row.quantity,
        "serials": getattr(row, "serials", ""),
        "reason": row.reason,
        "actor": row.actor,
    }


@router.get("/labels/lots/{number}", response=HistoryOut)
def history(request: HttpRequest, number: str) -> dict[str, Any]:
    """The lot's prints, reprints and counts, and its label reconciliation."""
    _user(request, Action.PRINT_LABELS)
    lot = _lot(number)
    rec = services.label_reconciliation(lot)
    return {
        "lot": lot.lot_number,
        "status": lot.status,
        "good_vials": len(services.good_vial_sequences(lot)),
        "labelled": len(services.printed_sequences(lot)),
        "reconciliation": None
        if rec is None
        else {
            "printed": rec.printed,
            "applied": rec.applied,
            "destroyed": rec.destroyed,
            "returned": rec.returned,
            "difference": rec.difference,
        },
        "events": [_event(row) for row in services.print_history(lot)],
    }


@router.post("/labels/scan", response=IdentityOut)
def scan(request: HttpRequest, payload: LabelScanIn) -> dict[str, Any]:
    """Parse a scanned or typed vial code (GS separators, "]d2", or "(01)…(17)…(10)…(21)…")."""
    _user(request, Action.VIEW_STOCK)
    found = identity.parse_scan(payload.text)
    return {
        "gtin": found.gtin,
        "expiry": found.expiry,
        "lot": found.lot,
        "serial": found.serial,
        "element_string": found.element_string(),
        "human_readable": found.human_readable(),
    }
