"""Lots in stock: their status, the moves allowed between statuses, and their expiry.

A lot is the released output of one batch (lot number = batch number, DOMAIN.md §5.2). The
batch lifecycle (`rempart.domain.batch`) says how a batch is made and decided; the lot status
says what the stock may do with its vials. Only released, unexpired lots can be picked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from rempart.domain.errors import InvalidTransition, InvalidValue


class LotStatus(StrEnum):
    QUARANTINE = "quarantine"
    RELEASED = "released"
    REJECTED = "rejected"
    RECALLED = "recalled"
    EXPIRED = "expired"
    DAMAGED = "damaged"


L = LotStatus

#: Where each status may go next. Rejected, recalled, expired and damaged lots never come back.
LOT_TRANSITIONS: Mapping[LotStatus, frozenset[LotStatus]] = {
    L.QUARANTINE: frozenset({L.RELEASED, L.REJECTED, L.DAMAGED}),
    L.RELEASED: frozenset({L.RECALLED, L.EXPIRED, L.DAMAGED}),
    L.REJECTED: frozenset(),
    L.RECALLED: frozenset(),
    L.EXPIRED: frozenset(),
    L.DAMAGED: frozenset(),
}

#: Entering these statuses is a decision someone must explain (expiry is the calendar's).
LOT_REASON_REQUIRED = frozenset({L.REJECTED, L.RECALLED, L.DAMAGED})


@dataclass(frozen=True, slots=True)
class LotTransition:
    source: LotStatus
    target: LotStatus
    reason: str


def lot_transition(source: LotStatus, target: LotStatus, reason: str = "") -> LotTransition:
    """The move from `source` to `target`, or `InvalidTransition` naming both."""
    if target not in LOT_TRANSITIONS[source]:
        allowed = ", ".join(sorted(LOT_TRANSITIONS[source])) or "nothing (final)"
        raise InvalidTransition(source, target, f"a {source} lot may go to {allowed}")
    if target in LOT_REASON_REQUIRED and not reason.strip():
        raise InvalidValue(f"moving a lot to {target} needs a reason", field="reason")
    return LotTransition(source, target, reason.strip())


def expiry_date(fill_date: date, shelf_life_days: int) -> date:
    """The last day of use: the fill date plus the product's shelf life."""
    if shelf_life_days <= 0:
        raise InvalidValue("the shelf life must be positive", field="shelf_life_days")
    return fill_date + timedelta(days=shelf_life_days)


def is_expired(expiry: date, today: date) -> bool:
    """A lot is usable through its expiry date and expired from the day after."""
    return today > expiry


def pickable(status: LotStatus, expiry: date | None, today: date) -> bool:
    """Only released, unexpired lots can be picked (DOMAIN.md §5.2 rule 1)."""
    return status is LotStatus.RELEASED and expiry is not None and not is_expired(expiry, today)
