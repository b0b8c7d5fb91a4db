"""Stock rules: serial ranges, the ledger replay (no negative balance), FEFO picking,
removal date and near expiry, and the recall reconciliation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.domain.errors import InvalidValue
from rempart.domain.lot import LotStatus
from rempart.domain.stock import (
    Move,
    MovementKind,
    PickLine,
    RecallLine,
    StockLot,
    check_recall_line,
    count,
    fefo,
    format_ranges,
    near_expiry,
    parse_ranges,
    ranges_of,
    reconciliation_text,
    removal_date,
    replay,
    subtract,
    take_first,
    union,
)

K = MovementKind
TODAY = date(2026, 11, 25)


def test_ranges_round_trip_and_count() -> None:
    ranges = ranges_of([5, 1, 2, 3, 7, 8])
    assert format_ranges(ranges) == "1-3,5,7-8"
    assert parse_ranges("1-3,5,7-8") == ranges
    assert count(ranges) == 6
    assert parse_ranges("") == ()


@pytest.mark.parametrize("text", ["1-", "a-3", "5-2", "0-3", "1-5,3-7", "1--3"])
def test_unreadable_ranges_are_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_ranges(text)


def test_duplicate_serial_refused() -> None:
    with pytest.raises(InvalidValue, match="twice"):
        ranges_of([1, 2, 2])


@given(st.sets(st.integers(1, 400)), st.sets(st.integers(1, 400)))
def test_subtract_and_union_behave_like_sets(a: set[int], b: set[int]) -> None:
    part = a & b
    left = subtract(ranges_of(a), ranges_of(part))
    assert left == ranges_of(a - part)
    assert union(left, ranges_of(part)) == ranges_of(a)
    assert parse_ranges(format_ranges(ranges_of(a))) == ranges_of(a)


def test_subtracting_serials_not_there_is_refused() -> None:
    with pytest.raises(InvalidValue):
        subtract(ranges_of([1, 2, 3]), ranges_of([3, 4]))


def test_take_first_takes_the_lowest_serials() -> None:
    assert take_first(parse_ranges("1-3,10-20"), 5) == parse_ranges("1-3,10-11")
    with pytest.raises(InvalidValue):
        take_first(parse_ranges("1-3"), 4)


def _receipt(qty: int, serials: str = "") -> Move:
    return Move(K.RELEASE_RECEIPT, "L1", None, "central", qty, parse_ranges(serials))


def test_replay_derives_balances() -> None:
    ledger = replay(
        [
            _receipt(10, "1-10"),
            Move(K.PICK, "L1", "central", "bay", 4, parse_ranges("1-4")),
            Move(K.DISPATCH, "L1", "bay", "transit", 4, parse_ranges("1-4")),
            Move(K.HOSPITAL_RECEIPT, "L1", "transit", "H1", 3, parse_ranges("1-3")),
            Move(K.USE_DECLARED, "L1", "H1", None, 1),
        ]
    )
    assert ledger.balances() == {("L1", "central"): 6, ("L1", "transit"): 1, ("L1", "H1"): 2}
    assert ledger.position("L1", "central").serials == parse_ranges("5-10")
    assert not ledger.position("L1", "H1").serials_known


def test_replay_refuses_a_negative_balance_naming_the_movement() -> None:
    with pytest.raises(InvalidValue) as caught:
        replay([_receipt(3), Move(K.PICK, "L1", "central", "bay", 4)])
    assert "movement 2 (pick)" in caught.value.message
    assert "only 3" in caught.value.message


def test_replay_refuses_serials_that_are_not_there() -> None:
    with pytest.raises(InvalidValue, match="not at this location"):
        replay([_receipt(3, "1-3"), Move(K.PICK, "L1", "central", "bay", 1, ranges_of([9]))])


@pytest.mark.parametrize(
    "move",
    [
        Move(K.PICK, "L1", "central", "bay", 0),
        Move(K.PICK, "L1", "central", "bay", -2),
        Move(K.PICK, "L1", None, "bay", 1),
        Move(K.DESTRUCTION, "L1", "central", "bay", 1),
        Move(K.PICK, "L1", "central", "central", 1),
        Move(K.PICK, "L1", "central", "bay", 2, ranges_of([1])),
    ],
)
def test_malformed_movements_are_refused(move: Move) -> None:
    with pytest.raises(InvalidValue):
        replay([_receipt(10), move])


def lot(
    name: str, expiry: date | None, qty: int, status: LotStatus = LotStatus.RELEASED
) -> StockLot:
    return StockLot(name, status, expiry, qty)


def test_fefo_takes_the_earliest_expiry_first() -> None:
    lots = [
        lot("LATE", TODAY + timedelta(days=120), 50),
        lot("SOON", TODAY + timedelta(days=40), 30),
        lot("MID", TODAY + timedelta(days=90), 50),
    ]
    assert fefo(lots, 60, TODAY) == [
        PickLine("SOON", TODAY + timedelta(days=40), 30),
        PickLine("MID", TODAY + timedelta(days=90), 30),
    ]


def test_fefo_never_picks_blocked_expired_or_too_short_lots() -> None:
    lots = [
        lot("QUAR", TODAY + timedelta(days=10), 100, LotStatus.QUARANTINE),
        lot("RECALL", TODAY + timedelta(days=10), 100, LotStatus.RECALLED),
        lot("GONE", TODAY - timedelta(days=1), 100),
        lot("SHORT", TODAY + timedelta(days=20), 100),
        lot("OK", TODAY + timedelta(days=100), 5),
    ]
    assert fefo(lots, 5, TODAY, min_residual_days=30) == [
        PickLine("OK", TODAY + timedelta(days=100), 5)
    ]
    with pytest.raises(InvalidValue) as caught:
        fefo(lots, 6, TODAY, min_residual_days=30)
    assert caught.value.field == "quantity"
    assert "only 5" in caught.value.message


@pytest.mark.parametrize("bad", [0, -1, True])
def test_fefo_refuses_a_bad_quantity(bad: int) -> None:
    with pytest.raises(InvalidValue):
        fefo([lot("A", TODAY, 1)], bad, TODAY)


def test_removal_date_and_near_expiry() -> None:
    assert removal_date(date(2026, 12, 31), 30) == date(2026, 12, 1)
    assert near_expiry(TODAY + timedelta(days=60), TODAY, 60)
    assert not near_expiry(TODAY + timedelta(days=61), TODAY, 60)
    assert not near_expiry(TODAY - timedelta(days=1), TODAY, 60)
    assert not near_expiry(None, TODAY, 60)


def test_recall_line_adds_up_and_missing_needs_an_explanation() -> None:
    line = RecallLine("CH de Roubaix", 100, 70, 25)
    assert line.missing == 5
    with pytest.raises(InvalidValue) as caught:
        check_recall_line(line, "")
    assert caught.value.field == "explanation"
    check_recall_line(line, "broken in transport, destroyed on site")
    with pytest.raises(InvalidValue) as over:
        check_recall_line(RecallLine("CH de Lens", 10, 8, 5), "x")
    assert over.value.field == "returned"
    with pytest.raises(InvalidValue):
        check_recall_line(RecallLine("CH de Lens", 10, -1, 5), "x")


def test_reconciliation_text_has_a_total() -> None:
    text = reconciliation_text(
        [RecallLine("B", 10, 10, 0), RecallLine("A", 5, 2, 2)], {"A": "one broken"}
    )
    assert text.splitlines() == [
        "A: dispatched 5 = returned 2 + used 2 + missing 1 (one broken)",
        "B: dispatched 10 = returned 10 + used 0 + missing 0",
        "total: dispatched 15 = returned 12 + used 2 + missing 1",
    ]
