"""The audit trail page: newest first, filtered by entity (and key)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rempart.domain.roles import Action
from rempart.mes.audit.models import AuditEntry
from rempart.mes.audit.registry import audited_tables
from rempart.mes.core.pages import requires


@requires(Action.VIEW_AUDIT_TRAIL)
def trail(request: HttpRequest) -> HttpResponse:
    entity = request.GET.get("entity", "")
    key = request.GET.get("key", "")
    entries = AuditEntry.objects.order_by("-seq")
    if entity:
        entries = entries.filter(entity=entity)
    if key:
        entries = entries.filter(entity_key=key)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/trail.html",
        {"page": page, "entity": entity, "key": key, "entities": sorted(audited_tables())},
    )
