"""JSON API routes of the records app (mounted under /api/)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["records"])
