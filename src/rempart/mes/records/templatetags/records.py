"""`{% batch_record_links number %}`: the PDF and JSON links of a batch's record document,
shown only to people who may open them (`VIEW_AUDIT_TRAIL`; see views.py)."""

from __future__ import annotations

from typing import Any

from django import template

from rempart.domain.roles import Action, may

register = template.Library()


@register.inclusion_tag("records/_links.html", takes_context=True)
def batch_record_links(context: template.Context, number: str) -> dict[str, Any]:
    user = context.get("user")
    return {"number": number, "allowed": may(getattr(user, "role", None), Action.VIEW_AUDIT_TRAIL)}
