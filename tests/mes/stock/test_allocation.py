"""Sharing short stock (pure): PPA with exact expectations, urgent first, whole vials."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rempart.mes.stock.allocation import Demand, allocate


def test_enough_stock_serves_everyone_in_full() -> None:
    out = allocate(100, [Demand(1, "A", 30, False), Demand(2, "B", 70, True)])
    assert [(a.line_id, a.quantity) for a in out] == [(1, 30), (2, 70)]
    assert all(a.reason.startswith("served in full") for a in out)


def test_short_stock_gives_every_hospital_the_same_fill_rate() -> None:
    demands = [Demand(1, "A", 120, False), Demand(2, "B", 20, False), Demand(3, "C", 60, False)]
    out = allocate(100, demands)
    assert [a.quantity for a in out] == [60, 10, 30]
    assert "rationed to 50.0% (PPA)" in out[0].reason
    assert "60 of 120 vials (stock 100, open orders 200)" in out[0].reason


def test_urgent_lines_are_served_first_then_the_rest_shares() -> None:
    demands = [Demand(1, "A", 100, False), Demand(2, "B", 40, True), Demand(3, "C", 50, False)]
    out = {a.line_id: a for a in allocate(100, demands)}
    assert out[2].quantity == 40
    assert out[2].reason.startswith("urgent order, served before non-urgent orders")
    assert (out[1].quantity, out[3].quantity) == (40, 20)
    assert out[1].reason.startswith("after urgent orders")


def test_urgent_demand_above_stock_takes_it_all() -> None:
    out = allocate(10, [Demand(1, "A", 5, False), Demand(2, "B", 8, True), Demand(3, "C", 8, True)])
    assert [a.quantity for a in out] == [0, 5, 5]
    assert "no stock left" in out[0].reason


@given(
    st.integers(0, 500),
    st.lists(st.tuples(st.integers(1, 200), st.booleans()), min_size=1, max_size=17),
)
def test_allocations_are_whole_never_exceed_demand_and_use_the_stock(
    supply: int, lines: list[tuple[int, bool]]
) -> None:
    demands = [Demand(i, f"H{i}", qty, urgent) for i, (qty, urgent) in enumerate(lines)]
    out = allocate(supply, demands)
    assert [a.line_id for a in out] == [d.line_id for d in demands]
    assert all(0 <= a.quantity <= d.quantity for a, d in zip(out, demands, strict=True))
    # nothing is left on the shelf while a line is short
    assert sum(a.quantity for a in out) == min(supply, sum(d.quantity for d in demands))
    # urgent lines first: a non-urgent line gets something only when every urgent one is full
    if any(a.quantity for a, d in zip(out, demands, strict=True) if not d.urgent):
        assert all(a.quantity == d.quantity for a, d in zip(out, demands, strict=True) if d.urgent)
