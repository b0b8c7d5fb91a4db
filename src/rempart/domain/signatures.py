"""Electronic signatures: the controlled list of meanings and who may sign with each.

DOMAIN.md §6 items 9-11: a signature shows its meaning chosen from a controlled list, the
printed name, and the time with UTC offset and zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from rempart.domain.clock import require_utc
from rempart.domain.errors import InvalidValue
from rempart.domain.roles import PRODUCTION_STAFF, Role


class Meaning(StrEnum):
    PERFORMED = "performed"
    VERIFIED = "verified"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    RELEASED = "released"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


#: Who may sign with each meaning. Release and rejection are the pharmacist's alone (BPP).
SIGNERS: Mapping[Meaning, frozenset[Role]] = {
    Meaning.PERFORMED: PRODUCTION_STAFF,
    Meaning.VERIFIED: PRODUCTION_STAFF,
    Meaning.REVIEWED: frozenset({Role.PHARMACIST, Role.QA_REVIEWER}),
    Meaning.APPROVED: frozenset({Role.PHARMACIST, Role.QA_REVIEWER}),
    Meaning.RELEASED: frozenset({Role.PHARMACIST}),
    Meaning.REJECTED: frozenset({Role.PHARMACIST}),
    Meaning.WITHDRAWN: PRODUCTION_STAFF,
}


def parse_meaning(raw: str) -> Meaning:
    """The meaning named `raw`, or `InvalidValue` naming the controlled list."""
    try:
        return Meaning(raw.strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in Meaning)
        raise InvalidValue(
            f"unknown meaning {raw!r}; choose one of {allowed}", field="meaning"
        ) from None


def check_signer(role: Role | str, meaning: Meaning) -> None:
    """Refuse a role that may not sign with `meaning`."""
    if Role(role) not in SIGNERS[meaning]:
        raise InvalidValue(f"a {role} may not sign as {meaning}", field="meaning")


def displayed_time(moment: datetime, zone: str) -> str:
    """`2026-11-25 06:12:03 UTC+01:00 (Europe/Paris)`: local time, its offset and zone."""
    local = require_utc(moment, field="signed_at").astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} UTC{offset[:3]}:{offset[3:]} ({zone})"
