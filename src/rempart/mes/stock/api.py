"""JSON API routes of the stock app (mounted under /api/)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["stock"])
