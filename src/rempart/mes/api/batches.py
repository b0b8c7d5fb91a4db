"""Batches and the line, read only: a batch's record summary and the line's live status."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.batches.models import Batch
from rempart.mes.batches.record import batch_record
from rempart.mes.core.errors import NotFound
from rempart.mes.machine.dashboard import line_view

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


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return require(user, Action.VIEW_MASTER_RECORDS)


@router.get("/batches/{number}", response=BatchOut)
def batch(request: HttpRequest, number: str) -> dict[str, Any]:
    _viewer(request)
    found = Batch.objects.select_related("product").filter(batch_number=number).first()
    if found is None:
        raise NotFound(f"no batch {number}", field="number")
    r = batch_record(found)
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
    }


@router.get("/line/status")
def line_status(request: HttpRequest, line: str = "LINE-1") -> dict[str, Any]:
    _viewer(request)
    return line_view(line).as_json()
