"""JSON API routes of the records app (mounted under /api/).

`GET /api/batches/{number}/record.json`: the complete batch record (the same document as
/records/<number>.json), permission `VIEW_AUDIT_TRAIL` (see views.py for why).
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from ninja import Router

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.batches.models import Batch
from rempart.mes.core.errors import NotFound
from rempart.mes.records import render

router = Router(tags=["records"])


@router.get(
    "/batches/{number}/record.json",
    summary="The complete batch record (JSON Schema: /api/records/schema.json)",
)
def batch_record(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    require(user, Action.VIEW_AUDIT_TRAIL)
    batch = Batch.objects.filter(batch_number=number).first()
    if batch is None:
        raise NotFound(f"no batch {number}", field="number")
    return HttpResponse(render.as_json(batch), content_type="application/json")


@router.get("/records/schema.json", summary="JSON Schema (draft 2020-12) of the batch record")
def record_schema(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        json.dumps(render.schema(), ensure_ascii=False).encode(),
        content_type="application/schema+json",
    )
