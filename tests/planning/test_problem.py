"""A problem built in Python (the planning board, the replay) is refused with the item named.

The JSON Schema catches most of these in files first (test_io.py); the dataclasses are the
guard for every other caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.planning.problem import (
    CENTRAL,
    MAX_PRODUCTION_ARCS,
    PlanHospital,
    PlanningProblem,
    PlanningProblemError,
    PlanProduct,
    Regime,
    StockLot,
)
from tests.planning.tiny import tiny_problem

PRODUCT = PlanProduct("P", 5, 1.0, 0.0, "V5")


def _problem() -> PlanningProblem:
    return tiny_problem({("H", "P"): (1.0, 2.0)}, (10.0, 10.0), product=PRODUCT)


def _with(**changes: Any) -> Callable[[], object]:
    return lambda: replace(_problem(), **changes)


CASES: list[tuple[str, Callable[[], object], dict[str, Any], str]] = [
    ("empty product code", lambda: replace(PRODUCT, code=" "), {"field": "code"}, "empty"),
    (
        "criticality out of range",
        lambda: replace(PRODUCT, criticality=6),
        {"field": "criticality", "product": "P"},
        "1..5",
    ),
    (
        "no line time per vial",
        lambda: replace(PRODUCT, line_hours_per_vial=0.0),
        {"field": "line_hours_per_vial", "product": "P"},
        "> 0",
    ),
    (
        "negative setup time",
        lambda: replace(PRODUCT, setup_hours=-1.0),
        {"field": "setup_hours", "product": "P"},
        ">= 0",
    ),
    (
        "shelf life shorter than QC",
        lambda: replace(
            PRODUCT, qc_lead_time_days=14.0, shelf_life_days=20.0, min_residual_days=7.0
        ),
        {"field": "shelf_life_days", "product": "P"},
        "no vial could ever be delivered",
    ),
    (
        "hospital named central",
        lambda: PlanHospital(CENTRAL),
        {"field": "code"},
        "not 'central'",
    ),
    (
        "unknown stock kind",
        lambda: StockLot("L1", "P", 5.0, kind="gift"),
        {"product": "P"},
        "gift",
    ),
    ("empty regime name", lambda: Regime(" ", (1.0,), "figure"), {"field": "regimes"}, "empty"),
    (
        "regime without a capacity source",
        lambda: Regime("normal", (1.0,), " "),
        {"field": "capacity_source"},
        "capacity_source",
    ),
    (
        "regime shorter than a period",
        lambda: Regime("crisis", (24.0,), "figure", min_duration_periods=0),
        {"field": "regime crisis"},
        ">= 1",
    ),
    (
        "negative capacity",
        lambda: Regime("normal", (1.0, -2.0), "figure"),
        {"period": 1},
        "capacity_hours",
    ),
    ("no period length", _with(period_days=0.0), {"field": "period_days"}, "> 0"),
    ("no periods", _with(period_labels=()), {"field": "period_labels"}, "no periods"),
    ("no products", _with(products=()), {"field": "products"}, "no products"),
    ("no hospitals", _with(hospitals=()), {"field": "hospitals"}, "no hospitals"),
    ("no regime", _with(regimes=()), {"field": "regimes"}, "no regime"),
    (
        "duplicate product",
        _with(products=(PRODUCT, PRODUCT)),
        {"field": "products"},
        "duplicate code 'P'",
    ),
    (
        "capacity for too few periods",
        _with(regimes=(Regime("normal", (10.0,), "figure"),)),
        {"field": "capacity_hours"},
        "1 capacity figures for 2 periods",
    ),
    (
        "demand from an unknown hospital",
        _with(demand={("X", "P"): (1.0, 1.0)}),
        {"product": "P", "hospital": "X"},
        "unknown hospital",
    ),
    (
        "demand for an unknown product",
        _with(demand={("H", "Q"): (1.0, 1.0)}),
        {"product": "Q", "hospital": "H"},
        "unknown product",
    ),
    (
        "demand of the wrong length",
        _with(demand={("H", "P"): (1.0,)}),
        {"product": "P", "hospital": "H"},
        "1 values for 2 periods",
    ),
    (
        "negative demand",
        _with(demand={("H", "P"): (1.0, -1.0)}),
        {"product": "P", "hospital": "H", "period": 1},
        ">= 0",
    ),
    (
        "lot of an unknown product",
        _with(lots=(StockLot("L1", "Q", 5.0),)),
        {"product": "Q", "field": "L1"},
        "unknown product",
    ),
    (
        "lot at an unknown hospital",
        _with(lots=(StockLot("L1", "P", 5.0, "X"),)),
        {"product": "P", "hospital": "X", "field": "L1"},
        "unknown location",
    ),
    (
        "initial format no product uses",
        _with(initial_vial_format="V50"),
        {"field": "initial_vial_format"},
        "'V50'",
    ),
]


@pytest.mark.parametrize(
    ("build", "names", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_an_inconsistent_problem_is_refused_naming_what_is_wrong(
    build: Callable[[], object], names: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(PlanningProblemError) as info:
        build()
    for attribute, value in names.items():
        assert getattr(info.value, attribute) == value, (attribute, str(info.value))
    assert fragment in str(info.value)


def test_the_base_problem_is_valid() -> None:
    # The cases above fail for the one reason each names, not because the base is wrong.
    assert _problem().n_periods == 2


@settings(max_examples=200, deadline=None)
@given(
    periods=st.integers(1, 40),
    period_days=st.sampled_from([0.5, 1.0, 7.0]),
    qc_days=st.floats(0.0, 30.0),
    shelf=st.one_of(st.none(), st.floats(0.0, 90.0)),
)
def test_the_arc_count_is_the_sum_of_the_consumption_windows(
    periods: int, period_days: float, qc_days: float, shelf: float | None
) -> None:
    shelf_life = None if shelf is None else qc_days + shelf + 1.0
    product = PlanProduct(
        "P", 5, 1.0, 0.0, "V5", qc_lead_time_days=qc_days, shelf_life_days=shelf_life
    )
    problem = replace(
        tiny_problem({("H", "P"): (1.0,) * periods}, (10.0,) * periods, product=product),
        period_days=period_days,
    )
    walked = sum(len(problem.consumption_window(product, t)) for t in range(periods))
    assert problem.production_arcs_at_most() == walked


def test_a_horizon_too_long_to_model_is_refused_before_anything_is_built() -> None:
    n = 1_500  # one product that never expires: n (n + 1) / 2 = 1,125,750 arcs
    with pytest.raises(PlanningProblemError) as info:
        tiny_problem({("H", "P"): (1.0,) * n}, (10.0,) * n, product=PRODUCT)
    assert info.value.field == "periods"
    assert "1,125,750 production arcs" in str(info.value)
    assert f"{MAX_PRODUCTION_ARCS:,}" in str(info.value)
    # A shelf life bounds the window: the same horizon is then small enough.
    short = replace(PRODUCT, shelf_life_days=60.0)
    assert tiny_problem({("H", "P"): (1.0,) * n}, (10.0,) * n, product=short).n_periods == n
