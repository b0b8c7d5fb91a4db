"""The independent plan check names each kind of corruption of a solved plan.

The check is the last guard between the solver and a pharmacist: each test takes a plan that
passes it, breaks one rule by hand, and expects the violation named.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from rempart.planning.check import check_plan
from rempart.planning.plan import Allocation, LotUse, Plan, ProductionLot, Status
from rempart.planning.problem import CENTRAL, PlanningProblem, StockLot
from rempart.planning.solve import SolveOptions, solve
from tests.planning.tiny import DEFAULT_PRODUCT, tiny_problem

# A fast line (0.1 h per vial) with a minimum batch, so that lots can be made too small.
PRODUCT = replace(DEFAULT_PRODUCT, line_hours_per_vial=0.1, min_batch_vials=10.0)
LOTS = (
    StockLot("CENTRAL-P", "P", 6.0, CENTRAL, 0.0, 120.0),
    StockLot("H1-P", "P", 4.0, "H1", 0.0, 90.0),
    StockLot("QUAR-P", "P", 5.0, CENTRAL, 2.0, 120.0, "quarantine"),
)


def _solved(allow_unmet: bool = True) -> tuple[PlanningProblem, Plan]:
    demand = {("H1", "P"): (5.0, 5.0, 10.0, 10.0), ("H2", "P"): (0.0, 5.0, 10.0, 10.0)}
    problem = tiny_problem(demand, (10.0,) * 4, product=PRODUCT, lots=LOTS, allow_unmet=allow_unmet)
    plan = solve(problem, SolveOptions(time_limit_s=10.0))
    assert plan.status is Status.OPTIMAL
    assert check_plan(problem, plan) == []
    assert plan.lots  # the stock alone cannot serve the demand
    return problem, plan


def _allocation(plan: Plan, hospital: str, period: int) -> tuple[int, Allocation]:
    for i, a in enumerate(plan.allocations):
        if (a.hospital, a.period) == (hospital, period):
            return i, a
    raise AssertionError(f"no allocation for {hospital} in period {period}")


def _with_allocation(plan: Plan, i: int, allocation: Allocation) -> Plan:
    allocations = list(plan.allocations)
    allocations[i] = allocation
    return replace(plan, allocations=tuple(allocations))


def test_a_lot_used_before_its_release_is_named() -> None:
    problem, plan = _solved()
    bad = replace(plan, lot_uses=(*plan.lot_uses, LotUse("QUAR-P", 0, 1.0)))
    assert "lot QUAR-P: used in period 0, outside its window" in check_plan(problem, bad)


def test_a_lot_used_beyond_its_quantity_is_named() -> None:
    problem, plan = _solved()
    bad = replace(plan, lot_uses=(*plan.lot_uses, LotUse("CENTRAL-P", 1, 50.0)))
    assert any(
        v.startswith("lot CENTRAL-P:") and "more than it holds" in v
        for v in check_plan(problem, bad)
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"unmet_vials": 3.0}, "!= demand"),
        ({"from_own_stock_vials": 1.0}, "own-stock use does not match the lots used"),
        # Adds up for the hospital, but more is sent than production and stock release.
        ({"demand_vials": 2.0, "from_central_vials": 2.0}, "vials sent to hospitals but"),
    ],
)
def test_an_allocation_that_does_not_add_up_is_named(
    change: dict[str, float], expected: str
) -> None:
    problem, plan = _solved()
    i, allocation = _allocation(plan, "H2", 3)
    changed = {name: getattr(allocation, name) + delta for name, delta in change.items()}
    violations = check_plan(problem, _with_allocation(plan, i, replace(allocation, **changed)))
    assert any(expected in v for v in violations), violations
    named = "product P, period 3:" if "sent" in expected else "product P, hospital H2, period 3:"
    assert any(v.startswith(named) for v in violations), violations


def test_unmet_demand_where_none_is_allowed_is_named() -> None:
    problem, plan = _solved(allow_unmet=False)
    i, allocation = _allocation(plan, "H2", 3)
    assert allocation.from_central_vials >= 2.0
    bad = _with_allocation(
        plan,
        i,
        replace(
            allocation,
            from_central_vials=allocation.from_central_vials - 2.0,
            unmet_vials=allocation.unmet_vials + 2.0,
        ),
    )
    violations = check_plan(problem, bad)
    assert "product P, hospital H2, period 3: unmet demand where none is allowed" in violations


def test_a_lot_below_the_minimum_batch_is_named() -> None:
    problem, plan = _solved()
    lot = plan.lots[0]
    small = ProductionLot(lot.product, lot.period, 4.0, 0.4)
    bad = replace(plan, lots=(small, *plan.lots[1:]))
    expected = f"product P, period {lot.period}: lot of 4.0 vials below the minimum batch 10"
    assert expected in check_plan(problem, bad)
