"""How the batch record document writes times and decimals (shared by its sections)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from rempart.domain.signatures import displayed_time

Json = dict[str, Any]


def moment(value: datetime | str | None) -> Json | None:
    """A time as the document shows it: UTC (ISO 8601, `Z`) and the site's local time with
    its offset and zone (`2026-01-05 09:00:00 UTC+01:00 (Europe/Paris)`)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    utc = value.astimezone(UTC)
    return {
        "utc": utc.isoformat().replace("+00:00", "Z"),
        "local": displayed_time(utc, settings.TIME_ZONE),
    }


def utc_text(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"
