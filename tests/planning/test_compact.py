"""Compaction (compact.py): the same service in fewer crisis days, checked against the model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rempart.planning.check import check_plan
from rempart.planning.compact import compacted_start, model_violations
from rempart.planning.extract import extract_plan
from rempart.planning.heuristics import objective_value
from rempart.planning.model import PlanModel, build_model, to_highs
from rempart.planning.plan import Status
from rempart.planning.problem import PlanHospital, PlanningProblem, PlanProduct
from tests.planning.tiny import normal_and_crisis

PRODUCT = PlanProduct(
    "P",
    5,
    1.0,
    2.0,
    "V5",
    qc_lead_time_days=2.0,
    min_batch_vials=5.0,
    setup_cost=10.0,
    holding_cost_per_vial_period=0.1,
)
OTHER = replace(PRODUCT, code="Q", vial_format="V10", criticality=4)


def _problem() -> PlanningProblem:
    # 14 days; two products from day 4. Normal: 6 h on weekdays-like days (0 every 7th);
    # crisis: 24 h at 100 a day, at least 3 days.
    days = 14
    demand = {
        ("H", "P"): (0.0,) * 4 + (9.0,) * (days - 4),
        ("H", "Q"): (0.0,) * 4 + (6.0,) * (days - 4),
    }
    regimes = normal_and_crisis(tuple(0.0 if t % 7 == 6 else 6.0 for t in range(days)), 3)
    return PlanningProblem(
        name="compact",
        period_days=1.0,
        period_labels=tuple(f"d{t}" for t in range(days)),
        products=(PRODUCT, OTHER),
        hospitals=(PlanHospital("H"),),
        demand=demand,
        regimes=regimes,
        format_change_hours=1.0,
    )


def _shortage_plan(model: PlanModel) -> np.ndarray:
    """A plan with the least shortage and the crisis regime on every day (stage 2's kind)."""
    h = to_highs(model, "shortage")
    h.setOptionValue("mip_rel_gap", 0.0)
    for t in range(model.problem.n_periods):
        h.changeColBounds(model.regime["crisis", t], 1.0, 1.0)
        h.changeColBounds(model.regime["normal", t], 0.0, 0.0)
    h.run()
    return np.array(h.getSolution().col_value)


def _served(model: PlanModel, values: np.ndarray) -> dict[tuple[str, int], float]:
    served: dict[tuple[str, int], float] = {}
    for (p, _, k), col in model.flow.items():
        served[p, k] = served.get((p, k), 0.0) + float(values[col])
    return served


def test_compaction_keeps_the_service_and_needs_fewer_crisis_days() -> None:
    problem = _problem()
    model = build_model(problem)
    start = _shortage_plan(model)
    assert model_violations(model, start) == 0
    compacted = compacted_start(model, start, 10.0)
    assert compacted is not None
    assert model_violations(model, compacted) == 0
    assert objective_value(model, "cost", compacted) < objective_value(model, "cost", start)
    for key, vials in _served(model, start).items():
        assert _served(model, compacted)[key] == pytest.approx(vials, abs=1e-6)
    assert objective_value(model, "shortage", compacted) == pytest.approx(
        objective_value(model, "shortage", start)
    )
    crisis = [t for t in range(problem.n_periods) if compacted[model.regime["crisis", t]] > 0.5]
    assert crisis == list(range(len(crisis)))  # one block from the first day
    assert 3 <= len(crisis) < problem.n_periods
    plan = extract_plan(model, compacted, Status.FEASIBLE, (), 0.0)
    assert check_plan(problem, plan) == []


def test_model_violations_counts_broken_rows_and_bounds() -> None:
    model = build_model(_problem())
    values = _shortage_plan(model)
    broken = values.copy()
    col = next(iter(model.flow.values()))
    broken[col] += 1000.0  # more vials than the period's hours and the demand allow
    assert model_violations(model, broken) > 0
    negative = values.copy()
    negative[col] = -1.0
    assert model_violations(model, negative) > 0


def test_without_a_block_regime_compaction_does_nothing() -> None:
    problem = _problem()
    single = replace(problem, regimes=problem.regimes[:1])
    model = build_model(single)
    assert compacted_start(model, np.zeros(model.n_columns), 5.0) is None
