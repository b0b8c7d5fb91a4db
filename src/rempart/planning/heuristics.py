"""MIP-based incumbent heuristics: relax-and-fix, then fix-and-optimise.

Relax-and-fix walks a window of periods through the horizon: binaries inside the window are
integer, those before it are fixed to the values already decided, those after it are relaxed
to [0, 1]. Fix-and-optimise then frees one window of periods at a time around the incumbent and
re-solves, keeping any improvement. Both run on a copy of the model, so the main HiGHS instance
only receives the final incumbent (via `setSolution`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

import highspy
import numpy as np

from rempart.planning.highs import set_threads
from rempart.planning.model import PlanModel, to_highs
from rempart.planning.model import total_demand_by_period as total_demand_by_period_of

WINDOW_PERIODS = 4
STEP_PERIODS = 2
#: Longer horizons move in wider windows so that the number of sub-MIPs stays small.
TARGET_SUB_MIPS = 10
#: Part of the heuristic budget spent building the first incumbent; the rest improves it.
RELAX_AND_FIX_SHARE = 0.6
#: Time limit of one fix-and-optimise sub-MIP.
SUB_MIP_SECONDS = 1.0
#: ... and of the larger second-half neighbourhood that `improve` tries first.
HALF_HORIZON_SECONDS = 3.0
#: Improvement windows: about this many per pass over the horizon.
WINDOWS_PER_PASS = 18


def _integer_columns_by_period(model: PlanModel) -> dict[int, list[int]]:
    by_period: dict[int, list[int]] = defaultdict(list)
    for (_, t), col in model.setup.items():
        by_period[t].append(col)
    for (_, t), col in model.format_used.items():
        by_period[t].append(col)
    for (_, t), col in model.format_end.items():
        by_period[max(t, 0)].append(col)  # the format before period 0 goes with period 0
    for (_, t), col in model.regime.items():
        by_period[t].append(col)
    return by_period


def _set_integrality(h: highspy.Highs, cols: list[int], integer: bool) -> None:
    if not cols:
        return
    kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
    h.changeColsIntegrality(len(cols), np.array(cols, dtype=np.int32), np.full(len(cols), kind))


def _set_bounds(h: highspy.Highs, cols: list[int], lower: list[float], upper: list[float]) -> None:
    if cols:
        h.changeColsBounds(
            len(cols), np.array(cols, dtype=np.int32), np.array(lower), np.array(upper)
        )


def _bounds(h: highspy.Highs, cols: list[int]) -> tuple[list[float], list[float]]:
    lp = h.getLp()
    return [float(lp.col_lower_[c]) for c in cols], [float(lp.col_upper_[c]) for c in cols]


def _solve(h: highspy.Highs, limit_s: float) -> np.ndarray | None:
    h.setOptionValue("time_limit", max(limit_s, 0.01))
    h.run()
    feasible = h.getInfo().primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    return np.array(h.getSolution().col_value) if feasible else None


def relax_and_fix(
    model: PlanModel,
    threads: int,
    budget_s: float,
    objective: str = "cost",
    prepare: Callable[[highspy.Highs], None] | None = None,
    with_setup_bounds: bool = True,
) -> np.ndarray | None:
    """An incumbent for `objective`, or None if the heuristic found none in time.

    `prepare` applies what the caller's model has on top of the base model (cuts, the fixed
    optima of earlier lexicographic stages), so the incumbent is feasible for it.
    """
    if budget_s <= 0:
        return None
    deadline = time.perf_counter() + budget_s
    by_period = _integer_columns_by_period(model)
    n_periods = model.problem.n_periods
    h = to_highs(model, objective, with_setup_bounds=with_setup_bounds)
    if prepare is not None:
        prepare(h)
    set_threads(h, threads)
    h.setOptionValue("mip_rel_gap", 1e-3)
    all_integer = [c for cols in by_period.values() for c in cols]
    own = _bounds(h, [c for t in sorted(by_period) for c in by_period[t]])
    _set_integrality(h, all_integer, integer=False)
    step = max(STEP_PERIODS, n_periods // TARGET_SUB_MIPS)
    window = 2 * step
    starts = list(range(0, max(1, n_periods - window + 1), step))
    rf_deadline = time.perf_counter() + RELAX_AND_FIX_SHARE * budget_s
    values: np.ndarray | None = None
    for i, start in enumerate(starts):
        last = i == len(starts) - 1
        end = n_periods if last else start + window
        free = [c for t in range(start, end) for c in by_period.get(t, [])]
        _set_integrality(h, free, integer=True)
        left = rf_deadline - time.perf_counter()
        values = _solve(h, left / (len(starts) - i))
        if values is None:
            return None
        fixed_end = end if last else start + step
        fixed = [c for t in range(start, fixed_end) for c in by_period.get(t, [])]
        rounded = [float(round(values[c])) for c in fixed]
        _set_bounds(h, fixed, rounded, rounded)
    if values is None:
        return None
    windows = windows_by_period(by_period, step)
    return fix_and_optimise(h, by_period, values, deadline, windows, own_bounds=own)


def improve(
    model: PlanModel,
    incumbent: np.ndarray,
    threads: int,
    budget_s: float,
    objective: str,
    prepare: Callable[[highspy.Highs], None] | None = None,
    with_setup_bounds: bool = True,
    free_regimes: bool = True,
) -> np.ndarray:
    """Fix-and-optimise from a feasible `incumbent` (an earlier stage's plan) for `objective`.

    The regime of every period is free in every neighbourhood (unless `free_regimes` is
    False: the caller's `prepare` fixed them): a regime block can only be shortened or moved
    when all its days are free at once, and there are few regime columns.
    The first neighbourhood is the second half of the horizon (where an earlier stage, blind
    to cost, leaves lots and regimes scattered); then windows of periods from the last to the
    first, since the early periods are the tightly constrained ones.
    """
    if budget_s <= 0:
        return incumbent
    deadline = time.perf_counter() + budget_s
    h = to_highs(model, objective, with_setup_bounds=with_setup_bounds)
    if prepare is not None:
        prepare(h)
    set_threads(h, threads)
    h.setOptionValue("mip_rel_gap", 1e-3)
    by_period = _integer_columns_by_period(model)
    regime_cols = set(model.regime.values())
    lots = {t: [c for c in cols if c not in regime_cols] for t, cols in by_period.items()}
    regimes = regime_cols if free_regimes else set()
    if not free_regimes:  # the caller fixed them (prepare): keep them out of the sub-MIPs
        by_period = lots
    periods = sorted(lots)
    step = max(1, len(periods) // WINDOWS_PER_PASS)
    second_half = {c for t in periods[len(periods) // 2 :] for c in lots[t]}
    windows = [
        {c for t in periods[start : start + 2 * step] for c in lots[t]}
        for start in reversed(range(0, len(periods), step))
    ]
    neighbourhoods = [regimes | second_half] if regimes else []
    neighbourhoods += [regimes | window for window in windows]
    first = HALF_HORIZON_SECONDS if regimes else SUB_MIP_SECONDS
    return fix_and_optimise(h, by_period, incumbent, deadline, neighbourhoods, first)


def fix_and_optimise(
    h: highspy.Highs,
    by_period: dict[int, list[int]],
    incumbent: np.ndarray,
    deadline: float,
    neighbourhoods: list[set[int]],
    first_limit_s: float = SUB_MIP_SECONDS,
    own_bounds: tuple[list[float], list[float]] | None = None,
) -> np.ndarray:
    """Free one neighbourhood at a time around the incumbent; keep what improves it.

    The pass over `neighbourhoods` repeats while it improves and time remains.
    """
    all_integer = [c for t in sorted(by_period) for c in by_period[t]]
    _set_integrality(h, all_integer, integer=True)
    # A freed column gets back the bounds it has in `h` now (a given format before period 0
    # is fixed by its bounds; so are the regimes when the caller fixed them).
    own_lower, own_upper = own_bounds if own_bounds is not None else _bounds(h, all_integer)
    best = incumbent
    best_cost = _objective(h, best)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for i, free in enumerate(neighbourhoods):
            if time.perf_counter() >= deadline:
                break
            limit = first_limit_s if i == 0 else SUB_MIP_SECONDS
            rounded = [float(round(best[c])) for c in all_integer]
            lower = [
                low if c in free else v
                for c, v, low in zip(all_integer, rounded, own_lower, strict=True)
            ]
            upper = [
                high if c in free else v
                for c, v, high in zip(all_integer, rounded, own_upper, strict=True)
            ]
            _set_bounds(h, all_integer, lower, upper)
            h.setSolution(len(best), np.arange(len(best), dtype=np.int32), best)
            values = _solve(h, min(limit, deadline - time.perf_counter()))
            if values is not None and _objective(h, values) < best_cost - 1e-6:
                best, best_cost, improved = values, _objective(h, values), True
    return best


def windows_by_period(by_period: dict[int, list[int]], step: int) -> list[set[int]]:
    """Windows of 2·`step` periods, `step` apart, from the first period on."""
    periods = sorted(by_period)
    return [
        {c for t in periods[start : start + 2 * step] for c in by_period[t]}
        for start in range(0, len(periods), step)
    ]


def _objective(h: highspy.Highs, values: np.ndarray) -> float:
    cost = np.array(h.getLp().col_cost_)
    return float(cost @ values)


def objective_value(model: PlanModel, objective: str, values: np.ndarray) -> float:
    return float(sum(coef * values[col] for col, coef in model.objectives[objective].items()))


def flows_from_production(
    model: PlanModel, production: dict[tuple[str, int], float]
) -> np.ndarray | None:
    """Columns of the facility-location model for a plan given as vials per (product, period).

    Vials are assigned first-in-first-out to demand (the holding cost is the same for any
    assignment that respects the windows); None if some vial cannot be placed on an arc.
    """
    values = np.zeros(model.n_columns)
    demand = dict(total_demand_by_period_of(model))
    for product in model.problem.products:
        p = product.code
        periods = sorted(t for (q, t), vials in production.items() if q == p and vials > 1e-6)
        for t in periods:
            left = production[p, t]
            if (p, t) not in model.setup:
                return None
            values[model.setup[p, t]] = 1.0
            for k in model.problem.consumption_window(product, t):
                need = demand.get((p, k), 0.0)
                take = min(left, need)
                if take <= 1e-9:
                    continue
                col = model.flow.get((p, t, k))
                if col is None:
                    return None
                values[col] += take
                demand[p, k] = need - take
                left -= take
                if left <= 1e-6:
                    break
    if any(v > 1e-6 for v in demand.values()):
        return None
    return values
