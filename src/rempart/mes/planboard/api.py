"""JSON API routes of the planboard app (mounted under /api/)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["planboard"])
