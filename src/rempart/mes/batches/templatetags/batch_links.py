"""`{% maybe_url "quality:deviations" as url %}`: a link to a page whose routes may not be
wired yet (the URL or ""), so a page never fails on a missing route."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def maybe_url(name: str, *args: object) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""
