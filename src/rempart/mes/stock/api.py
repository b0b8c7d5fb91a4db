"""JSON API routes of the stock app (mounted under /api/): stock, orders, allocation,
picking, shipping, receipt scans, recalls and tracing. Handlers parse, call one service and
return; refusals become {"message", "field"} with the service's status."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.catalog.models import Product
from rempart.mes.core.errors import NotFound, Refused
from rempart.mes.core.pages import request_id
from rempart.mes.stock import queries, recall, receiving, services
from rempart.mes.stock.models import Dispatch, Order, Recall, RecallNotice

router = Router(tags=["stock"])


def _user(request: HttpRequest, action: Action) -> User:
    user = request.user
    assert isinstance(user, User)
    return require(user, action)


class LineSchema(Schema):
    product: str
    quantity: int


class HospitalOrderIn(Schema):
    lines: list[LineSchema]
    urgent: bool = False
    note: str = ""


class DispatchScanIn(Schema):
    code: str = Field(description="the DataMatrix content, or its (01)(17)(10)(21) text")


class NoteIn(Schema):
    note: str = ""


class RecallIn(Schema):
    lot: str
    reason: str


class AckIn(Schema):
    hospital: str
    returned: int
    used: int
    explanation: str = ""


class RecallCloseIn(Schema):
    password: str
    totp_code: str
    explanations: dict[str, str] = Field(default_factory=dict, description="by hospital code")


def _order(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "hospital": order.hospital.code,
        "urgent": order.urgent,
        "status": order.status,
        "note": order.note,
        "created_at": order.created_at.isoformat(),
        "lines": [
            {
                "product": line.product.code,
                "requested": line.quantity_requested,
                "allocated": line.quantity_allocated,
                "reason": line.allocation_reason,
            }
            for line in order.lines.select_related("product")
        ],
        "dispatches": [d.number for d in order.dispatches.all()],
    }


def _dispatch(dispatch: Dispatch) -> dict[str, Any]:
    progress = receiving.receipt_progress(dispatch)
    return {
        "number": dispatch.number,
        "order": dispatch.order.number,
        "hospital": dispatch.hospital.code,
        "status": dispatch.status,
        "lines": [
            {
                "lot": line.lot.lot_number,
                "expiry": line.lot.expiry_date.isoformat() if line.lot.expiry_date else None,
                "quantity": line.quantity,
                "serials": line.serials,
            }
            for line in dispatch.lines.select_related("lot")
        ],
        "receipt": {
            "expected": progress.expected,
            "accepted": progress.accepted,
            "flagged": progress.flagged,
            "missing": progress.missing,
        },
    }


@router.get("/stock")
def stock(request: HttpRequest) -> dict[str, Any]:
    """Balances per location (derived from the ledger); an orderer sees their hospital."""
    user = _user(request, Action.VIEW_STOCK)
    return {
        "locations": [
            {
                "code": place.location.code,
                "name": place.location.name,
                "kind": place.location.kind,
                "lots": [
                    {
                        "lot": row.lot.lot_number,
                        "product": row.lot.batch.product.code,
                        "status": row.lot.status,
                        "expiry": row.lot.expiry_date.isoformat() if row.lot.expiry_date else None,
                        "quantity": row.quantity,
                        "available": row.available,
                    }
                    for row in place.rows
                ],
            }
            for place in queries.stock_by_location(user)
        ],
        "quarantine": [
            {"lot": lot.lot_number, "quantity": lot.quantity_vials}
            for lot in queries.quarantine_lots(user)
        ],
    }


@router.get("/orders")
def list_orders(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request, Action.VIEW_STOCK)
    return [_order(o) for o in services.visible_orders(user)]


@router.post("/orders", response={201: dict[str, Any]})
def place(request: HttpRequest, payload: HospitalOrderIn) -> Status[dict[str, Any]]:
    user = _user(request, Action.PLACE_ORDER)
    order = services.place_order(
        user,
        [services.LineIn(line.product, line.quantity) for line in payload.lines],
        urgent=payload.urgent,
        note=payload.note,
        request_id=request_id(request),
    )
    return Status(201, _order(order))


@router.get("/orders/{number}")
def get_order(request: HttpRequest, number: str) -> dict[str, Any]:
    user = _user(request, Action.VIEW_STOCK)
    return _order(services.order_for(user, number))


@router.post("/allocations/{product}")
def allocate(request: HttpRequest, product: str) -> list[dict[str, Any]]:
    """Share the shippable stock of `product` among its open orders (PPA, urgent first)."""
    user = _user(request, Action.MANAGE_STOCK)
    found = Product.objects.filter(code=product).first()
    if found is None:
        raise NotFound(f"no product {product}", field="product")
    return [
        {
            "order": line.order.number,
            "hospital": line.order.hospital.code,
            "requested": line.quantity_requested,
            "allocated": line.quantity_allocated,
            "reason": line.allocation_reason,
        }
        for line in services.allocate_product(user, found, request_id(request))
    ]


@router.post("/orders/{number}/pick", response={201: dict[str, Any]})
def pick(request: HttpRequest, number: str) -> Status[dict[str, Any]]:
    user = _user(request, Action.MANAGE_STOCK)
    dispatch = services.pick_order(user, services.order_for(user, number), request_id(request))
    return Status(201, _dispatch(dispatch))


@router.get("/dispatches/{number}")
def get_dispatch(request: HttpRequest, number: str) -> dict[str, Any]:
    user = _user(request, Action.VIEW_STOCK)
    return _dispatch(services.dispatch_for(user, number))


@router.post("/dispatches/{number}/ship")
def ship(request: HttpRequest, number: str) -> dict[str, Any]:
    user = _user(request, Action.MANAGE_STOCK)
    found = services.dispatch_for(user, number)
    return _dispatch(services.ship_dispatch(user, found, request_id(request)))


@router.post("/dispatches/{number}/scans", response={201: dict[str, Any]})
def scan(request: HttpRequest, number: str, payload: DispatchScanIn) -> Status[dict[str, Any]]:
    """Check one vial against the dispatch. 201 with its outcome (ok or flagged); an
    unreadable code is 400 and records nothing."""
    user = _user(request, Action.RECEIVE_DELIVERY)
    result = receiving.record_scan(
        user, services.dispatch_for(user, number), payload.code, request_id(request)
    )
    return Status(
        201,
        {
            "lot": result.lot_number,
            "serial": result.serial,
            "expiry": result.expiry.isoformat(),
            "outcome": result.outcome,
            "flagged": result.outcome != "ok",
            "message": result.message,
        },
    )


@router.post("/dispatches/{number}/receipt", response={201: dict[str, Any]})
def receive(request: HttpRequest, number: str, payload: NoteIn) -> Status[dict[str, Any]]:
    user = _user(request, Action.RECEIVE_DELIVERY)
    receipt = receiving.confirm_receipt(
        user, services.dispatch_for(user, number), payload.note, request_id(request)
    )
    return Status(
        201,
        {
            "accepted": receipt.accepted,
            "flagged": receipt.flagged,
            "missing": receipt.missing,
            "note": receipt.note,
        },
    )


def _recall_json(found: Recall, user: User) -> dict[str, Any]:
    view = recall.recall_view(found, user)
    return {
        "lot": view.lot.lot_number,
        "status": view.lot.status,
        "reason": found.reason,
        "opened_at": found.opened_at.isoformat(),
        "closed_at": found.closed_at.isoformat() if found.closed_at else None,
        "central": view.central,
        "hospitals": [
            {
                "hospital": n.hospital.code,
                "name": n.hospital.name,
                "dispatched": n.dispatched,
                "serials": n.serials,
                "acknowledged_at": n.acknowledged_at.isoformat() if n.acknowledged_at else None,
                "returned": n.returned,
                "used": n.used,
                "missing": n.missing,
                "explanation": n.explanation,
            }
            for n in view.notices
        ],
        "reconciliation": found.reconciliation,
    }


def _recall_of(user: User, lot: str) -> Recall:
    found = Recall.objects.filter(lot__lot_number=lot).select_related("lot").first()
    if found is None:
        raise NotFound(f"no recall of lot {lot}", field="lot")
    return found


@router.post("/recalls", response={201: dict[str, Any]})
def open_recall(request: HttpRequest, payload: RecallIn) -> Status[dict[str, Any]]:
    user = _user(request, Action.RECALL_LOT)
    found = recall.open_recall(
        user, recall.lot_by_number(payload.lot), payload.reason, request_id(request)
    )
    return Status(201, _recall_json(found, user))


@router.get("/recalls/{lot}")
def get_recall(request: HttpRequest, lot: str) -> dict[str, Any]:
    """Every hospital that received the lot, its quantity and serials (forward trace)."""
    user = _user(request, Action.VIEW_STOCK)
    found = _recall_of(user, lot)
    body = _recall_json(found, user)
    if user.role == "orderer" and not body["hospitals"]:
        raise NotFound(f"no recall of lot {lot}", field="lot")
    return body


@router.post("/recalls/{lot}/acknowledge")
def acknowledge(request: HttpRequest, lot: str, payload: AckIn) -> dict[str, Any]:
    user = _user(request, Action.VIEW_STOCK)
    found = _recall_of(user, lot)
    notice = RecallNotice.objects.filter(recall=found, hospital__code=payload.hospital).first()
    if notice is None:
        raise Refused(f"{payload.hospital} was not sent lot {lot}", field="hospital")
    recall.acknowledge(
        user,
        notice,
        returned=payload.returned,
        used=payload.used,
        explanation=payload.explanation,
        request_id=request_id(request),
    )
    return _recall_json(found, user)


@router.post("/recalls/{lot}/close")
def close(request: HttpRequest, lot: str, payload: RecallCloseIn) -> dict[str, Any]:
    user = _user(request, Action.RECALL_LOT)
    found = _recall_of(user, lot)
    by_code = {n.hospital.code: n.pk for n in found.notices.select_related("hospital")}
    unknown = sorted(set(payload.explanations) - set(by_code))
    if unknown:
        raise Refused(f"not sent this lot: {', '.join(unknown)}", field="explanations")
    recall.close_recall(
        user,
        found,
        explanations={by_code[code]: text for code, text in payload.explanations.items()},
        password=payload.password,
        totp_code=payload.totp_code,
        request_id=request_id(request),
    )
    found.refresh_from_db()
    return _recall_json(found, user)


@router.get("/trace")
def trace(request: HttpRequest, code: str) -> dict[str, Any]:
    """Backward trace of one vial: `code` is a scan, its text, or LOT/SERIAL."""
    user = _user(request, Action.RECALL_LOT)
    t = recall.trace(user, code)
    vial = t.vial
    return {
        "lot": t.lot.lot_number,
        "serial": t.serial,
        "batch": t.batch.batch_number,
        "batch_state": t.batch.state,
        "master_record": {"id": t.master_record.pk, "version": t.master_record.version},
        "formula": {k: str(v) for k, v in t.formula.items()},
        "components": [
            {
                "role": c.role,
                "item": c.item_code,
                "lot": c.lot_number,
                "expiry": c.expiry.isoformat(),
            }
            for c in t.components
        ],
        "vial": None
        if vial is None
        else {
            "line": vial.line_id,
            "event_sequence": vial.event_sequence,
            "processed_at": vial.processed_at.isoformat(),
            "terminal_state": vial.terminal_state,
            "fill_ml": vial.fill_ml,
            "fill_ipc": vial.fill_ipc,
            "reseal_passed": vial.reseal_passed,
            "cap_seated": vial.cap_seated,
            "inspection_result": vial.inspection_result,
        },
        "machine_events": [
            {"sequence": e.sequence, "kind": e.kind, "timestamp": e.timestamp.isoformat()}
            for e in t.machine_events
        ],
        "shipped_to": t.shipped_to,
        "dispatch": t.dispatch,
    }
