"""Valid rows and reductions (strengthen.py, stock_use.py): tighter, never wrong."""

from __future__ import annotations

from dataclasses import replace

import highspy
import numpy as np
import pytest

from rempart.planning.example import regional_example
from rempart.planning.model import PlanModel, build_model, to_highs
from rempart.planning.problem import CENTRAL, PlanningProblem, PlanProduct, StockLot
from rempart.planning.solve import SolveOptions, solve
from rempart.planning.strengthen import dominant_regime
from tests.planning.tiny import normal_and_crisis, tiny_problem

PRODUCT = PlanProduct(
    "P", 5, 1.0, 2.0, "V5", min_batch_vials=2.0, setup_cost=10.0, holding_cost_per_vial_period=0.1
)


def _two_regimes(daily: float, days: int = 10, allow_unmet: bool = True) -> PlanningProblem:
    """Normal: 6 h (one lot leaves 4 h of filling); crisis: 24 h at 100 a day, 2 days minimum."""
    demand = {("H", "P"): (0.0,) * 3 + (daily,) * (days - 3)}
    base = tiny_problem(demand, (6.0,) * days, product=PRODUCT, allow_unmet=allow_unmet)
    return replace(base, regimes=normal_and_crisis((6.0,) * days, 2))


def _solve_highs(model: PlanModel, objective: str, relax: bool, drop: tuple[str, ...]) -> float:
    """Optimum of the base model (every setup bound as a row), some rows emptied by prefix."""
    h = to_highs(model, objective)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("time_limit", 60.0)
    for i, name in enumerate(model.row_names):
        if name.startswith(drop):
            h.changeRowBounds(i, -highspy.kHighsInf, highspy.kHighsInf)
    if relax:
        cols = np.array([i for i, f in enumerate(model.col_integer) if f], dtype=np.int32)
        h.changeColsIntegrality(
            len(cols), cols, np.full(len(cols), highspy.HighsVarType.kContinuous)
        )
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


def test_filling_rows_name_each_period_with_production() -> None:
    model = build_model(_two_regimes(8.0))
    names = set(model.row_names)
    assert {f"filling[{t}]" for t in model.capacity_row if t < 7} <= names
    assert "filling_lots[0]" in names


def test_filling_rows_raise_the_relaxation_and_keep_the_optimum() -> None:
    # 8 vials a day, all to be served: a normal day holds one lot of at most 4 h of filling,
    # so the line must run the crisis regime on some days; without the rows the LP fills
    # 5.5 h of a normal day with a quarter of a lot.
    model = build_model(_two_regimes(8.0, allow_unmet=False))
    rows = ("filling[", "filling_lots[")
    lp_with = _solve_highs(model, "cost", relax=True, drop=())
    lp_without = _solve_highs(model, "cost", relax=True, drop=rows)
    assert lp_with > lp_without + 1.0
    mip_with = _solve_highs(model, "cost", relax=False, drop=())
    mip_without = _solve_highs(model, "cost", relax=False, drop=rows)
    assert mip_with == pytest.approx(mip_without, abs=1e-6)


def test_without_regime_columns_no_filling_rows_are_added() -> None:
    model = build_model(tiny_problem({("H", "P"): (0.0, 5.0, 5.0)}, (10.0,) * 3, product=PRODUCT))
    assert not any(name.startswith("filling") for name in model.row_names)


def test_a_product_met_by_central_stock_gets_no_production_columns() -> None:
    demand = {("H", "P"): (0.0, 5.0, 5.0, 5.0)}
    enough = StockLot("C1", "P", 15.0, CENTRAL, 0.0, None)
    model = build_model(tiny_problem(demand, (10.0,) * 4, product=PRODUCT, lots=(enough,)))
    assert model.setup == {}
    assert model.flow == {}
    plan = solve(
        tiny_problem(demand, (10.0,) * 4, product=PRODUCT, lots=(enough,)),
        SolveOptions(time_limit_s=10.0, mip_rel_gap=0.0),
    )
    assert plan.weighted_shortage == pytest.approx(0.0)
    assert plan.cost == pytest.approx(0.0)


def test_a_lot_that_expires_too_early_leaves_production_columns() -> None:
    # 15 vials cover the demand in quantity, but the lot is gone after day 2.
    demand = {("H", "P"): (0.0, 5.0, 5.0, 5.0)}
    short_lived = StockLot("C1", "P", 15.0, CENTRAL, 0.0, 2.5)
    model = build_model(tiny_problem(demand, (10.0,) * 4, product=PRODUCT, lots=(short_lived,)))
    assert model.setup


def test_the_demo_drops_the_products_its_deliveries_cover() -> None:
    model = build_model(regional_example())
    produced = {p for p, _ in model.setup}
    assert produced.isdisjoint({"MIDA-1-50", "NORA-02-50", "KETA-10-20"})
    assert "ROCU-10-5" in produced


def test_dominant_regime() -> None:
    assert dominant_regime(regional_example()) == "crisis"
    problem = _two_regimes(8.0)
    normal, crisis = problem.regimes
    weaker = replace(crisis, capacity_hours=(5.0, *crisis.capacity_hours[1:]))
    assert dominant_regime(replace(problem, regimes=(normal, weaker))) is None
    assert dominant_regime(replace(problem, regimes=(normal,))) is None


def test_fixing_the_dominant_regime_keeps_the_fairness_and_shortage_optima() -> None:
    # 30 vials a day cannot all be made: the first two stages have a real optimum to keep.
    problem = _two_regimes(30.0)
    plan = solve(problem, SolveOptions(time_limit_s=30.0, mip_rel_gap=0.0))
    model = build_model(problem)
    fairness = -_solve_highs(model, "fairness", relax=False, drop=())
    assert plan.stages[0].objective == pytest.approx(fairness, abs=1e-6)
    h = to_highs(model, "shortage")
    h.setOptionValue("mip_rel_gap", 0.0)
    assert model.min_fill_rate is not None
    h.changeColBounds(model.min_fill_rate, fairness - 1e-4, 1.0)
    h.run()
    assert plan.stages[1].objective == pytest.approx(h.getInfo().objective_function_value)
