"""JSON API routes of the labels app (mounted under /api/)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["labels"])
