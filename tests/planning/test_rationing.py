"""PPA (Manshadi, Niazadeh & Rodilitz 2023) against its published properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.planning.rationing import (
    RationRequest,
    ppa_fill_rate,
    ration,
    ration_sequence,
    with_exact_expectations,
)

# Vial counts: zero or at least a hundredth of a vial (subnormal floats are not demands).
vials = st.one_of(st.just(0.0), st.floats(min_value=0.01, max_value=1e4))
demands = st.lists(vials, min_size=1, max_size=12)
supplies = st.one_of(st.just(0.0), st.floats(min_value=0.01, max_value=1e5))


def test_the_share_is_remaining_supply_over_projected_demand() -> None:
    assert ppa_fill_rate(60.0, 40.0, 80.0) == pytest.approx(0.5)
    assert ppa_fill_rate(500.0, 40.0, 80.0) == 1.0
    decision = ration(60.0, RationRequest("CHU-LILLE#1", 40.0, 80.0))
    assert decision.allocated_vials == pytest.approx(20.0)
    assert decision.supply_after_vials == pytest.approx(40.0)
    assert "rationed to 50.0%" in decision.reason


@given(demands, supplies)
def test_exact_expectations_equalise_fill_rates_at_the_best_level(
    values: list[float], supply: float
) -> None:
    requests = with_exact_expectations([(f"r{i}", d) for i, d in enumerate(values)])
    decisions = ration_sequence(supply, requests)
    total = sum(values)
    target = 1.0 if total <= supply else supply / total
    for d in decisions:
        if d.demand_vials > 0:
            assert d.fill_rate == pytest.approx(target, rel=1e-7, abs=1e-9)


@given(demands, supplies)
def test_supply_does_not_run_out_before_the_last_request(
    values: list[float], supply: float
) -> None:
    requests = with_exact_expectations([(f"r{i}", d) for i, d in enumerate(values)])
    decisions = ration_sequence(supply, requests)
    for d in decisions[:-1]:
        later = sum(values[decisions.index(d) + 1 :])
        if later > 0 and supply > 0:
            assert d.supply_after_vials > 0
    assert all(d.allocated_vials <= d.demand_vials + 1e-9 for d in decisions)
    assert sum(d.allocated_vials for d in decisions) <= supply * (1 + 1e-12) + 1e-9


@given(
    st.lists(st.tuples(vials, vials), min_size=1, max_size=10),
    supplies,
    vials,
)
def test_more_supply_never_gives_a_request_less(
    rows: list[tuple[float, float]], supply: float, extra: float
) -> None:
    requests = [RationRequest(f"r{i}", d, e) for i, (d, e) in enumerate(rows)]
    base = ration(supply, requests[0])
    more = ration(supply + extra, requests[0])
    assert more.allocated_vials >= base.allocated_vials - 1e-9


def test_forecast_errors_still_respect_supply_and_demand() -> None:
    # Expected later demand too low: early requests get more, later ones less, never negative.
    requests = [RationRequest("a", 50.0, 10.0), RationRequest("b", 50.0, 0.0)]
    first, second = ration_sequence(60.0, requests)
    assert first.allocated_vials == pytest.approx(50.0)
    assert second.allocated_vials == pytest.approx(10.0)
    assert second.reason.startswith("rationed")


def test_bad_input_is_rejected_with_the_request_named() -> None:
    with pytest.raises(ValueError, match="request x: demand"):
        ration(10.0, RationRequest("x", -1.0, 0.0))
