"""The audit trail, filtered by entity and key, newest first."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.audit.models import AuditEntry
from rempart.mes.core.errors import Refused

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    seq: int
    recorded_at: str
    user_id: str
    printed_name: str
    role: str | None
    action: str
    entity: str
    entity_key: str
    field: str
    old_value: str | None
    new_value: str | None
    reason: str | None
    request_id: str | None
    hash: str


@router.get("/audit", response=list[AuditEntryOut])
def trail(
    request: HttpRequest, entity: str = "", key: str = "", limit: int = 200
) -> list[AuditEntry]:
    user = request.user
    assert isinstance(user, User)
    require(user, Action.VIEW_AUDIT_TRAIL)
    if not 1 <= limit <= 1000:
        raise Refused("between 1 and 1000 entries per request", field="limit")
    entries = AuditEntry.objects.order_by("-seq")
    if entity:
        entries = entries.filter(entity=entity)
    if key:
        entries = entries.filter(entity_key=key)
    return list(entries[:limit])
