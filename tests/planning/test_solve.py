"""Statuses, time limits, infeasibility and the independent feasibility check."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import highspy
import pytest

import rempart.planning.solve as solve_module
from rempart.planning.check import check_plan
from rempart.planning.example import regional_example
from rempart.planning.plan import Flow, Status
from rempart.planning.problem import PlanningProblemError, PlanProduct, hours_from_vials
from rempart.planning.solve import SolveOptions, setup_bounds_as_cuts, solve
from tests.planning.tiny import tiny_problem


def test_infeasible_without_backlog_is_reported_as_infeasible() -> None:
    problem = tiny_problem({("H", "P"): (50.0, 50.0)}, (30.0, 30.0), allow_unmet=False)
    plan = solve(problem, SolveOptions(time_limit_s=10.0))
    assert plan.status is Status.INFEASIBLE
    assert plan.lots == ()
    assert plan.objective is None


def test_demand_before_any_release_without_stock_is_rejected_up_front() -> None:
    product = PlanProduct("P", 5, 1.0, 0.0, "V5", qc_lead_time_days=2.0)
    with pytest.raises(PlanningProblemError) as info:
        tiny_problem({("H", "P"): (5.0, 0.0, 0.0)}, (9.0,) * 3, product=product, allow_unmet=False)
    assert (info.value.product, info.value.hospital, info.value.period) == ("P", "H", 0)
    assert "product P" in str(info.value)
    assert "hospital H" in str(info.value)


def test_bad_values_name_product_hospital_and_period() -> None:
    with pytest.raises(PlanningProblemError) as info:
        tiny_problem({("H", "P"): (5.0, float("nan"))}, (9.0, 9.0))
    assert (info.value.product, info.value.hospital, info.value.period) == ("P", "H", 1)
    with pytest.raises(PlanningProblemError, match="criticality"):
        PlanProduct("Q", 7, 1.0, 0.0, "V5")


def test_time_limit_is_split_over_the_stages_and_never_claims_optimal() -> None:
    options = SolveOptions(time_limit_s=3.0)
    plan = solve(regional_example(), options)
    assert plan.status in (Status.FEASIBLE, Status.TIME_LIMIT_NO_SOLUTION)
    assert sum(stage.time_limit_s for stage in plan.stages) <= options.time_limit_s
    if plan.status is Status.FEASIBLE:
        assert plan.check_violations == ()
        assert any(stage.status is not Status.OPTIMAL for stage in plan.stages)


def test_the_check_catches_a_flow_outside_the_qc_window() -> None:
    product = PlanProduct("P", 5, 1.0, 0.0, "V5", qc_lead_time_days=2.0)
    problem = tiny_problem({("H", "P"): (0.0, 0.0, 0.0, 30.0)}, (100.0,) * 4, product=product)
    plan = solve(problem, SolveOptions(time_limit_s=10.0))
    assert check_plan(problem, plan) == []
    bad = replace(plan, flows=(Flow("P", 2, 3, 30.0),))
    assert any("outside the QC/shelf-life window" in v for v in check_plan(problem, bad))
    over = replace(plan, lots=tuple(replace(lot, vials=500.0) for lot in plan.lots))
    assert any("line hours used" in v for v in check_plan(problem, over))


def test_solve_options_are_validated() -> None:
    with pytest.raises(ValueError, match="threads"):
        SolveOptions(threads=0)
    with pytest.raises(ValueError, match="time_limit_s"):
        SolveOptions(time_limit_s=0)
    for limit in (math.inf, math.nan):
        with pytest.raises(ValueError, match="time_limit_s must be a finite number > 0"):
            SolveOptions(time_limit_s=limit)
    with pytest.raises(ValueError, match="threads must be between 1 and 256, got 100000"):
        SolveOptions(threads=100_000)


def test_a_capacity_figure_in_vials_converts_to_line_hours() -> None:
    assert hours_from_vials((7920.0, 0.0), 330.0) == (24.0, 0.0)
    with pytest.raises(PlanningProblemError, match="run rate"):
        hours_from_vials((1.0,), 0.0)


def test_setup_bounds_go_in_as_cuts_by_size_with_a_higher_limit_for_lot_sizing() -> None:
    # The Trigeiro X 10-item instances have about 2,050 bounds: rows; the regional demo's
    # 8,600 and the G instances' 2,700 or more: cuts (decision 0013).
    assert not setup_bounds_as_cuts("auto", 2050, lot_sizing=True)
    assert setup_bounds_as_cuts("auto", 2767, lot_sizing=True)
    assert setup_bounds_as_cuts("auto", 2050, lot_sizing=False)
    assert not setup_bounds_as_cuts("auto", 150, lot_sizing=False)
    assert setup_bounds_as_cuts("lazy", 10, lot_sizing=True)
    assert not setup_bounds_as_cuts("all", 9000, lot_sizing=False)


@pytest.mark.parametrize(
    ("setup_bounds", "allow_unmet", "effort"),
    [("lazy", False, 0.1), ("all", False, 0.3), ("lazy", True, 0.05)],
)
def test_heuristic_effort_follows_the_problem_and_the_setup_bounds(
    monkeypatch: pytest.MonkeyPatch, setup_bounds: str, allow_unmet: bool, effort: float
) -> None:
    # Classic lot sizing: 0.3 on small models, 0.1 on those large enough to get their setup
    # bounds as cuts (decision 0017); HiGHS's own 0.05 with unmet demand allowed.
    seen: list[float] = []
    run_stage = solve_module._run_stage

    def recording_run_stage(h: highspy.Highs, *args: Any, **kwargs: Any) -> Any:
        seen.append(float(h.getOptionValue("mip_heuristic_effort")[1]))
        return run_stage(h, *args, **kwargs)

    monkeypatch.setattr(solve_module, "_run_stage", recording_run_stage)
    problem = tiny_problem({("H", "P"): (0.0, 40.0, 40.0)}, (100.0,) * 3, allow_unmet=allow_unmet)
    plan = solve(problem, SolveOptions(time_limit_s=10.0, setup_bounds=setup_bounds))
    assert plan.status is Status.OPTIMAL
    assert seen
    assert set(seen) == {effort}


def test_each_later_stage_hands_highs_the_previous_plan_as_a_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A change of the model after setSolution (the stage's costs were once set there) makes
    # HiGHS drop the start without a word; its log says whether it read it.
    logs: list[Path] = []
    configure = solve_module._configure

    def logging_configure(h: highspy.Highs, *args: object, **kwargs: object) -> None:
        configure(h, *args, **kwargs)  # type: ignore[arg-type]
        logs.append(tmp_path / f"stage{len(logs)}.log")
        h.setOptionValue("log_file", str(logs[-1]))
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", False)

    monkeypatch.setattr(solve_module, "_configure", logging_configure)
    demand = {("A", "P"): (0.0, 60.0, 60.0, 60.0), ("B", "P"): (0.0, 30.0, 30.0, 30.0)}
    plan = solve(tiny_problem(demand, (100.0,) * 4), SolveOptions(time_limit_s=20.0))
    assert [stage.name for stage in plan.stages] == ["fairness", "shortage", "cost"]
    assert len(logs) == 3
    for log in logs[1:]:
        assert "Assessing feasibility of MIP solution" in log.read_text()


def test_a_model_that_takes_the_whole_limit_to_build_is_not_handed_to_highs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build = solve_module.build_model

    def slow_build(problem: Any) -> Any:
        model = build(problem)
        time.sleep(0.6)
        return model

    monkeypatch.setattr(solve_module, "build_model", slow_build)
    problem = tiny_problem({("H", "P"): (5.0, 5.0)}, (9.0, 9.0))
    plan = solve(problem, SolveOptions(time_limit_s=0.5))
    assert plan.status is Status.TIME_LIMIT_NO_SOLUTION
    assert plan.stages == ()
    assert plan.objective is None
    assert "building the model took" in plan.messages[0]
    assert "0.5 s time limit" in plan.messages[0]
