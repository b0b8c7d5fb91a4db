"""Site EM limit sets and media fills over the API (mounted by the lead under /api/).

GET /em/limit-sets, POST /em/limit-sets (propose), POST /em/limit-sets/{version}/approve
(e-signature), GET /em/media-fills, POST /em/media-fills. Refusals are JSON
`{"message", "field"}` naming the field (the API's shared handlers).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from rempart.domain.roles import Action
from rempart.mes.accounts.backends import client_ip
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.core.errors import NotFound
from rempart.mes.core.pages import request_id
from rempart.mes.machine import limits
from rempart.mes.machine.models import MediaFill, ParticleLimitSet


class LimitSetIn(Schema):
    version: str
    alert_0_5um: int | str
    alert_5um: int | str
    effective_from: str
    rationale: str = ""


class LimitSetSignIn(Schema):
    password: str
    totp_code: str
    meaning: str = "approved"


class MediaFillIn(Schema):
    line_id: str = "LINE-1"
    performed_on: str
    interventions: list[str] | str
    max_batch_vials: int | str
    max_duration_h: str | float


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def limit_set_json(row: ParticleLimitSet) -> dict[str, Any]:
    return {
        "version": row.version,
        "state": row.state,
        "alert_0_5um": row.alert_0_5um,
        "alert_5um": row.alert_5um,
        "action_0_5um": row.action_0_5um,
        "action_5um": row.action_5um,
        "effective_from": row.effective_from.isoformat(),
        "rationale": row.rationale,
        "proposed_by": row.proposed_by,
        "approved_by": row.approved_by,
        "approved_at": row.approved_at.isoformat() if row.approved_at else None,
    }


def media_fill_json(row: MediaFill) -> dict[str, Any]:
    return {
        "id": row.pk,
        "line_id": row.line_id,
        "performed_on": row.performed_on.isoformat(),
        "interventions": row.covered,
        "max_batch_vials": row.max_batch_vials,
        "max_duration_h": str(row.max_duration_h),
        "recorded_by": row.recorded_by,
    }


def make_router() -> Router:
    router = Router(tags=["environment"])

    @router.get("/em/limit-sets")
    def limit_sets(request: HttpRequest) -> list[dict[str, Any]]:
        require(_user(request), Action.VIEW_MASTER_RECORDS)
        return [limit_set_json(r) for r in ParticleLimitSet.objects.all()]

    @router.post("/em/limit-sets", response={201: dict[str, Any]})
    def propose(request: HttpRequest, payload: LimitSetIn) -> Status[dict[str, Any]]:
        row = limits.propose_limit_set(_user(request), payload.dict(), request_id(request))
        return Status(201, limit_set_json(row))

    @router.post("/em/limit-sets/{version}/approve")
    def approve(request: HttpRequest, version: str, payload: LimitSetSignIn) -> dict[str, Any]:
        row = ParticleLimitSet.objects.filter(version=version).first()
        if row is None:
            raise NotFound(f"no limit set {version}", field="version")
        limits.approve_limit_set(
            _user(request),
            row,
            password=payload.password,
            totp_code=payload.totp_code,
            meaning=payload.meaning,
            request_id=request_id(request),
            ip=client_ip(request),
        )
        row.refresh_from_db()
        return limit_set_json(row)

    @router.get("/em/media-fills")
    def media_fills(request: HttpRequest) -> list[dict[str, Any]]:
        require(_user(request), Action.VIEW_MASTER_RECORDS)
        return [media_fill_json(r) for r in MediaFill.objects.all()]

    @router.post("/em/media-fills", response={201: dict[str, Any]})
    def record(request: HttpRequest, payload: MediaFillIn) -> Status[dict[str, Any]]:
        row = limits.record_media_fill(_user(request), payload.dict(), request_id(request))
        return Status(201, media_fill_json(row))

    return router


router = make_router()
