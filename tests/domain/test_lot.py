"""Lot statuses: the allowed moves, reasons, expiry and what may be picked (DOMAIN.md §5.2)."""

from __future__ import annotations

from datetime import date

import pytest

from rempart.domain.errors import InvalidTransition, InvalidValue
from rempart.domain.lot import (
    LOT_TRANSITIONS,
    LotStatus,
    expiry_date,
    is_expired,
    lot_transition,
    pickable,
)

L = LotStatus
TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (L.QUARANTINE, L.RELEASED),
        (L.QUARANTINE, L.REJECTED),
        (L.QUARANTINE, L.DAMAGED),
        (L.RELEASED, L.RECALLED),
        (L.RELEASED, L.EXPIRED),
        (L.RELEASED, L.DAMAGED),
    ],
)
def test_allowed_moves(source: LotStatus, target: LotStatus) -> None:
    step = lot_transition(source, target, "because")
    assert (step.source, step.target, step.reason) == (source, target, "because")


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (L.QUARANTINE, L.RECALLED),
        (L.QUARANTINE, L.EXPIRED),
        (L.RELEASED, L.QUARANTINE),
        (L.RECALLED, L.RELEASED),
        (L.EXPIRED, L.RELEASED),
        (L.REJECTED, L.RELEASED),
        (L.DAMAGED, L.RELEASED),
    ],
)
def test_forbidden_moves_name_both_statuses(source: LotStatus, target: LotStatus) -> None:
    with pytest.raises(InvalidTransition) as caught:
        lot_transition(source, target, "because")
    assert str(source) in caught.value.message
    assert str(target) in caught.value.message


def test_final_statuses_have_no_exit() -> None:
    finals = {s for s, exits in LOT_TRANSITIONS.items() if not exits}
    assert finals == {L.REJECTED, L.RECALLED, L.EXPIRED, L.DAMAGED}


@pytest.mark.parametrize("target", [L.REJECTED, L.RECALLED, L.DAMAGED])
def test_decisions_need_a_reason(target: LotStatus) -> None:
    source = L.RELEASED if target is L.RECALLED else L.QUARANTINE
    with pytest.raises(InvalidValue) as caught:
        lot_transition(source, target, "   ")
    assert caught.value.field == "reason"


def test_expiry_is_usable_through_the_day() -> None:
    assert expiry_date(date(2026, 1, 1), 180) == date(2026, 6, 30)
    assert not is_expired(TODAY, TODAY)
    assert is_expired(TODAY, date(2026, 11, 26))
    with pytest.raises(InvalidValue):
        expiry_date(TODAY, 0)


def test_only_released_unexpired_lots_are_pickable() -> None:
    assert pickable(L.RELEASED, TODAY, TODAY)
    assert not pickable(L.RELEASED, date(2026, 11, 24), TODAY)
    assert not pickable(L.RELEASED, None, TODAY)
    for status in (L.QUARANTINE, L.REJECTED, L.RECALLED, L.EXPIRED, L.DAMAGED):
        assert not pickable(status, date(2027, 1, 1), TODAY)
