"""The textbook aggregated CLSP formulation, solved by plain HiGHS: the benchmark baseline.

    min  sum_it sc_i y_it + h_i s_it
    s.t. s_i,t-1 + x_it - s_it = d_it            (inventory balance, s_i,-1 = 0)
         sum_i b_i x_it + st_i y_it <= C_t       (capacity with setup times)
         x_it <= M_it y_it,  M_it = min(remaining demand, (C_t - st_i) / b_i)
         x, s >= 0, y binary

It is the weak "big-M" model the issue asks us to beat with the facility-location model.
Only the classic CLSP case is accepted (one site, no stock, no lead time, no expiry, no backlog).
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from rempart.planning.highs import new_highs, set_threads
from rempart.planning.plan import StageResult
from rempart.planning.problem import PlanningProblem
from rempart.planning.status import relative_gap, stage_status


def is_classic_clsp(problem: PlanningProblem) -> bool:
    return (
        len(problem.hospitals) == 1
        and not problem.lots
        and not problem.allow_unmet_demand
        and len(problem.regimes) == 1
        and all(
            problem.release_lag_periods(p) == 0 and p.shelf_life_days is None
            for p in problem.products
        )
    )


def solve_textbook(problem: PlanningProblem, time_limit_s: float, threads: int = 1) -> StageResult:
    """Plain HiGHS on the aggregated formulation; returns status, objective, bound, gap."""
    result, _ = _run_textbook(problem, time_limit_s, threads)
    return result


def textbook_production(
    problem: PlanningProblem, time_limit_s: float, threads: int = 1
) -> dict[tuple[str, int], float] | None:
    """Vials per (product, period) of the best plan the aggregated model finds in the time.

    A primal heuristic for the facility-location model: HiGHS's own heuristics search the
    aggregated model differently and sometimes find better plans early (X540, TBO 4 class).
    """
    _, production = _run_textbook(problem, time_limit_s, threads)
    return production


def _run_textbook(
    problem: PlanningProblem, time_limit_s: float, threads: int
) -> tuple[StageResult, dict[tuple[str, int], float] | None]:
    if not is_classic_clsp(problem):
        raise ValueError(f"{problem.name}: the textbook model covers only the classic CLSP")
    site = problem.hospitals[0].code
    n_periods = problem.n_periods
    capacity = problem.regimes[0].capacity_hours
    h = new_highs()
    set_threads(h, threads)
    h.setOptionValue("time_limit", time_limit_s)
    h.setOptionValue("output_flag", False)
    production: dict[tuple[str, int], int] = {}
    setups: dict[tuple[str, int], int] = {}
    cap_terms: list[list[tuple[int, float]]] = [[] for _ in range(n_periods)]
    for product in problem.products:
        demand = problem.demand.get((site, product.code), (0.0,) * n_periods)
        stock_before = None
        for t in range(n_periods):
            room = (capacity[t] - product.setup_hours) / product.line_hours_per_vial
            big_m = max(0.0, min(sum(demand[t:]), room))
            x = h.getNumCol()
            h.addCol(0.0, 0.0, big_m, 0, np.array([], dtype=np.int32), np.array([]))
            y = h.getNumCol()
            h.addCol(product.setup_cost, 0.0, 1.0, 0, np.array([], dtype=np.int32), np.array([]))
            h.changeColIntegrality(y, highspy.HighsVarType.kInteger)
            s = h.getNumCol()
            h.addCol(
                product.holding_cost_per_vial_period,
                0.0,
                highspy.kHighsInf,
                0,
                np.array([], dtype=np.int32),
                np.array([]),
            )
            idx = [x, s] + ([stock_before] if stock_before is not None else [])
            val = [1.0, -1.0] + ([1.0] if stock_before is not None else [])
            h.addRow(demand[t], demand[t], len(idx), np.array(idx, dtype=np.int32), np.array(val))
            h.addRow(
                -highspy.kHighsInf,
                0.0,
                2,
                np.array([x, y], dtype=np.int32),
                np.array([1.0, -big_m]),
            )
            cap_terms[t] += [(x, product.line_hours_per_vial), (y, product.setup_hours)]
            production[product.code, t], setups[product.code, t] = x, y
            stock_before = s
    for t, terms in enumerate(cap_terms):
        h.addRow(
            -highspy.kHighsInf,
            capacity[t],
            len(terms),
            np.array([c for c, _ in terms], dtype=np.int32),
            np.array([v for _, v in terms]),
        )
    started = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - started
    status, has_solution = stage_status(h)
    info = h.getInfo()
    objective = float(info.objective_function_value) if has_solution else None
    bound = float(info.mip_dual_bound) if has_solution else None
    result = StageResult(
        "textbook", status, objective, bound, relative_gap(objective, bound), seconds, time_limit_s
    )
    if not has_solution:
        return result, None
    values = h.getSolution().col_value
    return result, {key: float(values[col]) for key, col in production.items()}
