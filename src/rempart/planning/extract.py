"""Turn a HiGHS column vector back into domain terms: lots, flows, allocations, fill rates."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from rempart.planning.allocation import rebalance
from rempart.planning.formats import FormatStep, line_format_steps
from rempart.planning.model import PlanModel, total_demand_by_period
from rempart.planning.plan import (
    Allocation,
    FillRate,
    Flow,
    LotUse,
    PeriodUse,
    Plan,
    ProductionLot,
    StageResult,
    Status,
)
from rempart.planning.reasons import explain_shortages
from rempart.planning.stock_use import expires_in_horizon

#: Below this many vials a value is solver noise, not a decision.
VIAL_EPSILON = 1e-6
#: Relative slack on a period's hours when its format changes are fitted (HiGHS's row
#: feasibility tolerance is 1e-7 on scaled rows).
SPARE_TOL = 1e-6


def _regimes(model: PlanModel, values: np.ndarray) -> list[str]:
    problem = model.problem
    if not model.regime:
        return [problem.regimes[0].name] * problem.n_periods
    return [
        max(problem.regimes, key=lambda r: values[model.regime[r.name, t]]).name
        for t in range(problem.n_periods)
    ]


def period_uses(model: PlanModel, values: np.ndarray) -> list[PeriodUse]:
    """Hours used and available per period in the regime chosen by the solution.

    Format changes are counted from the lots' formats along the sequence of the line's format
    with the fewest changes that fits every period (formats.py): the model's own sequence
    is one of those that fit, so this is never more than it charged.
    """
    problem = model.problem
    used = [0.0] * problem.n_periods
    filled: set[tuple[str, int]] = set()
    for (p, t, _), col in model.flow.items():
        used[t] += problem.product(p).line_hours_per_vial * values[col]
        if values[col] > VIAL_EPSILON:
            filled.add((p, t))
    # The plan's lots: a setup that fills nothing is no lot (and no format change).
    formats: list[set[str]] = [set() for _ in range(problem.n_periods)]
    for p, t in filled:
        product = problem.product(p)
        used[t] += product.setup_hours
        formats[t].add(product.vial_format)
    regimes = _regimes(model, values)
    by_name = {r.name: r for r in problem.regimes}
    capacity = [by_name[regimes[t]].capacity_hours[t] for t in range(problem.n_periods)]
    change = problem.format_change_hours
    spare = [capacity[t] - used[t] + SPARE_TOL * max(1.0, capacity[t]) for t in range(len(used))]
    steps = line_format_steps(problem, formats, spare)
    if steps is None:  # cannot happen for a model solution; the plan check will name it
        steps = [FormatStep(None, None, len(fills)) for fills in formats]
    return [
        PeriodUse(
            t,
            problem.period_labels[t],
            regimes[t],
            capacity[t],
            used[t] + change * steps[t].changes,
            steps[t].changes,
            steps[t].end,
            steps[t].end if steps[t].prepared else None,
        )
        for t in range(problem.n_periods)
    ]


def drop_unset_lots(model: PlanModel, values: np.ndarray) -> np.ndarray:
    """Vials filled where the lot's setup is off become unmet demand.

    HiGHS accepts a binary within its integrality tolerance (1e-6) of 0 or 1, so a setup at
    1e-7 can carry a thousandth of a vial: no lot a line can fill, and below any minimum batch.
    When unmet demand is allowed those vials are moved to it (the plan reports them as
    missing, never as a lot); otherwise the values are returned as they are.
    """
    if not model.unmet:
        return values
    cleaned = values.copy()
    for (p, t, k), col in model.flow.items():
        vials = cleaned[col]
        if vials > 0 and cleaned[model.setup[p, t]] < 0.5 and (p, k) in model.unmet:
            cleaned[col] = 0.0
            cleaned[model.unmet[p, k]] += vials
    for col in model.setup.values():
        cleaned[col] = float(round(cleaned[col]))
    return cleaned


def extract_plan(
    model: PlanModel,
    values: np.ndarray,
    status: Status,
    stages: tuple[StageResult, ...],
    seconds: float,
) -> Plan:
    problem = model.problem
    values = drop_unset_lots(model, values)
    produced: dict[tuple[str, int], float] = defaultdict(float)
    flows = []
    for (p, t, k), col in model.flow.items():
        if values[col] > VIAL_EPSILON:
            produced[p, t] += values[col]
            flows.append(Flow(p, t, k, float(values[col])))
    lots = tuple(
        ProductionLot(p, t, vials, vials * problem.product(p).line_hours_per_vial)
        for (p, t), vials in sorted(produced.items(), key=lambda item: (item[0][1], item[0][0]))
    )
    lot_uses = tuple(
        [LotUse(lot_id, k, vials) for lot_id, k, vials in model.own_stock_uses]
        + [
            LotUse(lot_id, k, float(values[col]))
            for (lot_id, k), col in model.lot_use.items()
            if values[col] > VIAL_EPSILON
        ]
    )
    allocations = []
    totals = total_demand_by_period(model)
    for (h, p), series in problem.demand.items():
        net = model.net_demand[h, p]
        for k, vials in enumerate(series):
            if vials <= 0:
                continue
            unmet_col = model.unmet.get((p, k))
            unmet = (
                float(values[unmet_col]) * net[k] / totals[p, k] if unmet_col is not None else 0.0
            )
            unmet = unmet if unmet > VIAL_EPSILON else 0.0
            allocations.append(Allocation(p, h, k, vials, net[k] - unmet, vials - net[k], unmet))
    allocations = rebalance(allocations)
    fill_rates, min_fill = _fill_rates(allocations)
    weighted = sum(problem.product(a.product).criticality * a.unmet_vials for a in allocations)
    cost = float(sum(values[col] * coef for col, coef in model.objectives["cost"].items()))
    used: dict[str, float] = defaultdict(float)
    for use in lot_uses:
        used[use.lot_id] += use.vials
    expired = sum(
        max(0.0, lot.quantity_vials - used[lot.lot_id])
        for lot in problem.lots
        if expires_in_horizon(problem, lot)
    )
    periods = period_uses(model, values)
    shortages = explain_shortages(problem, allocations, periods, model, values)
    return Plan(
        problem.name,
        status,
        None,
        None,
        None,
        seconds,
        stages,
        lots=lots,
        flows=tuple(flows),
        lot_uses=lot_uses,
        allocations=tuple(allocations),
        shortages=tuple(shortages),
        fill_rates=tuple(fill_rates),
        periods=tuple(periods),
        min_fill_rate=min_fill,
        weighted_shortage=weighted,
        cost=cost,
        expired_vials=expired,
    )


def _fill_rates(allocations: list[Allocation]) -> tuple[list[FillRate], float | None]:
    """Per hospital: overall fill rate and its worst product; the minimum over all pairs."""
    demand: dict[tuple[str, str], float] = defaultdict(float)
    unmet: dict[tuple[str, str], float] = defaultdict(float)
    for a in allocations:
        demand[a.hospital, a.product] += a.demand_vials
        unmet[a.hospital, a.product] += a.unmet_vials
    hospitals = sorted({h for h, _ in demand})
    rates = []
    lowest: float | None = None
    for h in hospitals:
        pairs = {p: 1 - unmet[h, p] / d for (hh, p), d in demand.items() if hh == h and d > 0}
        total = sum(d for (hh, _), d in demand.items() if hh == h)
        missing = sum(u for (hh, _), u in unmet.items() if hh == h)
        worst = min(pairs, key=lambda p: (pairs[p], p))
        rates.append(FillRate(h, 1 - missing / total, worst, pairs[worst]))
        lowest = pairs[worst] if lowest is None else min(lowest, pairs[worst])
    return rates, lowest
