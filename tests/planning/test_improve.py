"""Fix-and-optimise from an earlier stage's plan: better, and still a valid plan."""

from __future__ import annotations

from dataclasses import replace

import highspy
import numpy as np

from rempart.planning.check import check_plan
from rempart.planning.extract import extract_plan
from rempart.planning.heuristics import improve, objective_value
from rempart.planning.model import build_model, to_highs
from rempart.planning.plan import Status
from rempart.planning.problem import PlanningProblem, PlanProduct
from rempart.planning.solve import SolveOptions, solve
from tests.planning.tiny import normal_and_crisis, tiny_problem

PRODUCT = PlanProduct(
    "P", 5, 1.0, 2.0, "V5", min_batch_vials=5.0, setup_cost=10.0, holding_cost_per_vial_period=0.1
)


def _problem() -> PlanningProblem:
    # 12 days; 8 vials a day from day 4. Normal shifts give 6 h on weekdays; the crisis regime
    # gives 24 h at 100 a day, at least 2 days in a row.
    demand = {("H", "P"): (0.0,) * 4 + (8.0,) * 8}
    base = tiny_problem(demand, (6.0,) * 12, product=PRODUCT)
    return replace(base, regimes=normal_and_crisis((6.0,) * 12, 2))


def test_improve_turns_a_wasteful_start_into_a_cheaper_valid_plan() -> None:
    problem = _problem()
    model = build_model(problem)
    # The start: any plan that meets demand with the crisis regime on every day.
    h = to_highs(model, "shortage")
    h.setOptionValue("output_flag", False)
    for t in range(problem.n_periods):
        h.changeColBounds(model.regime["crisis", t], 1.0, 1.0)
    h.run()
    start = np.array(h.getSolution().col_value)
    assert objective_value(model, "shortage", start) == 0.0

    def keep_no_shortage(h_sub: highspy.Highs) -> None:
        cols = np.array(list(model.unmet.values()), dtype=np.int32)
        h_sub.changeColsBounds(len(cols), cols, np.zeros(len(cols)), np.zeros(len(cols)))

    better = improve(model, start, 1, 10.0, "cost", keep_no_shortage)
    assert objective_value(model, "cost", better) < objective_value(model, "cost", start) - 500
    assert objective_value(model, "shortage", better) <= 1e-6
    plan = extract_plan(model, better, Status.FEASIBLE, (), 0.0)
    assert check_plan(problem, plan) == []


def test_solve_with_and_without_improvement_agree_on_a_small_problem() -> None:
    problem = _problem()
    on = solve(problem, SolveOptions(time_limit_s=20.0, mip_rel_gap=0.0))
    off = solve(
        problem,
        SolveOptions(time_limit_s=20.0, mip_rel_gap=0.0, improve=False),
    )
    assert on.status is Status.OPTIMAL
    assert off.status is Status.OPTIMAL
    assert on.cost is not None
    assert off.cost is not None
    assert abs(on.cost - off.cost) < 1e-6
    assert on.check_violations == ()


def test_a_change_of_thread_count_within_one_process_still_solves() -> None:
    # HiGHS sizes one scheduler per process on its first run; set_threads resets it.
    problem = _problem()
    first = solve(problem, SolveOptions(time_limit_s=20.0, threads=2, mip_rel_gap=0.0))
    second = solve(problem, SolveOptions(time_limit_s=20.0, threads=1, mip_rel_gap=0.0))
    assert first.status is Status.OPTIMAL
    assert second.status is Status.OPTIMAL
