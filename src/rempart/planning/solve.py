"""Solve a planning problem with HiGHS: lexicographic stages, own status and feasibility checks.

The objective is lexicographic (DOMAIN.md §8): (1) maximise the minimum fill rate over
(hospital, product) pairs, (2) minimise criticality-weighted unmet demand, (3) minimise the
central stock vials that expire unused (only when some central lot expires in the horizon),
(4) minimise cost (setups, holding, regime). Each stage is one HiGHS solve on the same model;
after a stage its optimum is fixed within a tolerance (lambda >= lambda* - tol; shortage <=
S*·(1 + tol); vials used of expiring lots >= U* - tol), and its solution is handed to the next
stage as the starting incumbent. When unmet demand is not allowed (the classic CLSP), only the
cost stage runs.

The status word is never taken on trust: `optimal` needs HiGHS's proof for every stage *and*
our own check of the returned plan (check.py); a plan that fails the check is an `error`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from functools import partial

import highspy
import numpy as np

from rempart.planning.check import check_plan
from rempart.planning.compact import compacted_start
from rempart.planning.cuts import add_rows, relaxed_copy, separate_setup_bounds
from rempart.planning.extract import extract_plan
from rempart.planning.heuristics import (
    flows_from_production,
    improve,
    objective_value,
    relax_and_fix,
)
from rempart.planning.highs import set_threads
from rempart.planning.model import PlanModel, build_model, to_highs
from rempart.planning.plan import Plan, StageResult, Status
from rempart.planning.problem import PlanningProblem
from rempart.planning.status import relative_gap, stage_status
from rempart.planning.strengthen import dominant_regime, regime_bounds
from rempart.planning.textbook import is_classic_clsp, textbook_production

#: Share of the remaining time given to each stage (the last one gets all that is left).
STAGE_TIME_SHARE = {"fairness": 0.4, "shortage": 0.5, "expiry": 0.2, "cost": 1.0}
#: Share of the time limit given to the relax-and-fix incumbent heuristic (cost stage only).
HEURISTIC_TIME_SHARE = 0.25
#: Share of a stage's time that fix-and-optimise gets to improve the previous stage's plan.
IMPROVE_TIME_SHARE = {"fairness": 0.5, "shortage": 0.3, "expiry": 0.0, "cost": 0.5}
#: Share of the cost stage's improvement time that compaction (compact.py) may use first.
COMPACT_TIME_SHARE = 0.2
#: ... and at least this long when the stage has twice as much (about 0.5 s on the demo).
COMPACT_MIN_S = 1.0
#: Share of the first stage's time that fix-and-optimise gets after HiGHS's own run...
FIRST_STAGE_IMPROVE_SHARE = 0.4
#: ... when the stage has at least this many seconds: a precaution, so that short solves
#: (the covid-2020 replay gives 10 s, so 4 s to this stage) keep all of it for HiGHS's first plan.
FIRST_STAGE_IMPROVE_MIN_S = 10.0
#: HiGHS's share of effort on primal heuristics for classic lot sizing (its default is 0.05):
#: on the Trigeiro X11418C and X12418C files, 0.3 (with the bounds as rows) found in 30 s plans
#: 0.3 % cheaper than before, as cheap as the textbook model's (decision 0013).
LOT_SIZING_HEURISTIC_EFFORT = 0.3
#: ... and 0.1 when the model is large enough to get its setup bounds as cuts (the G57, G62 and
#: G69 files, the 20- and 30-item X540 files): there heuristics took a third of the LP
#: iterations of G69's proof, and 0.1 proved G62 and G69 a sixth to a quarter faster with
#: plans as good in 30 s (decision 0017).
LOT_SIZING_LAZY_HEURISTIC_EFFORT = 0.1
#: Share of the time limit the aggregated model gets to find a first incumbent (classic CLSP).
PORTFOLIO_TIME_SHARE = 0.5
#: Share of the time limit kept for what follows the last stage (at most the second figure).
FINISH_RESERVE_SHARE = 0.01
FINISH_RESERVE_MAX_S = 1.0
#: With more facility-location setup bounds than this, `auto` adds them as cuts (cuts.py)...
EAGER_SETUP_BOUNDS_MAX = 200
#: ... and for the classic lot-sizing problem, this many (decision 0013): on the Trigeiro X 418C
#: instances (about 2,100 bounds) all bounds found better plans in 30 s, while the G instances
#: with more than 2,700 proved faster or got closer with the bounds as cuts.
LOT_SIZING_EAGER_SETUP_BOUNDS_MAX = 2500
#: Share of a stage's time that the cut loop may use.
CUT_TIME_SHARE = 0.3
#: The most HiGHS threads a solve may ask for: HiGHS starts every one of them (100,000 hung
#: the process), and planning gains little beyond a few.
MAX_THREADS = 256


@dataclass(frozen=True, slots=True)
class SolveOptions:
    """Solver settings. Gaps are relative; tolerances fix earlier lexicographic optima."""

    time_limit_s: float = 60.0
    threads: int = 1
    mip_rel_gap: float = 1e-4
    fill_rate_tolerance: float = 1e-4
    shortage_rel_tolerance: float = 1e-7
    expiry_rel_tolerance: float = 1e-7
    heuristic: bool = False
    random_seed: int = 0
    setup_bounds: str = "auto"
    portfolio: bool = False
    improve: bool = True

    def __post_init__(self) -> None:
        if not (math.isfinite(self.time_limit_s) and self.time_limit_s > 0):
            raise ValueError(f"time_limit_s must be a finite number > 0, got {self.time_limit_s}")
        if not 1 <= self.threads <= MAX_THREADS:
            raise ValueError(f"threads must be between 1 and {MAX_THREADS}, got {self.threads}")
        if self.setup_bounds not in ("auto", "all", "lazy"):
            raise ValueError(f"setup_bounds must be auto, all or lazy, got {self.setup_bounds!r}")
        if not 0 <= self.mip_rel_gap < 1:
            raise ValueError(f"mip_rel_gap must be in [0, 1), got {self.mip_rel_gap}")


def has_integral_optimum(problem: PlanningProblem) -> bool:
    """True when every plan's cost is an integer at an optimal vertex (classic CLSP case).

    With y fixed, the classic CLSP is a transportation problem (one demand row per item and
    period, one capacity row per period, each arc in exactly one of each): its matrix is
    totally unimodular when every item uses 1 capacity unit per unit, so with integral
    demand, capacity and setup times the continuous part has an integral optimum, and with
    integral costs so has the objective. Then any bound can be rounded up, and a gap below
    one cost unit proves optimality.
    """

    def integral(value: float) -> bool:
        return float(value).is_integer()

    return (
        not problem.allow_unmet_demand
        and not problem.lots
        and len(problem.regimes) == 1
        and all(integral(c) for c in problem.regimes[0].capacity_hours)
        and all(
            p.line_hours_per_vial == 1.0
            and integral(p.setup_hours)
            and integral(p.setup_cost)
            and integral(p.holding_cost_per_vial_period)
            and p.min_batch_vials == 0
            for p in problem.products
        )
        and all(integral(v) for series in problem.demand.values() for v in series)
    )


def setup_bounds_as_cuts(choice: str, n_bounds: int, lot_sizing: bool) -> bool:
    """Whether the facility-location setup bounds go in as cuts (cuts.py) rather than rows.

    `choice` is `SolveOptions.setup_bounds`; `auto` decides by size, with a higher limit for
    problems without unmet demand (classic lot sizing), where the whole model is small.
    """
    if choice != "auto":
        return choice == "lazy"
    limit = LOT_SIZING_EAGER_SETUP_BOUNDS_MAX if lot_sizing else EAGER_SETUP_BOUNDS_MAX
    return n_bounds > limit


def _configure(
    h: highspy.Highs,
    options: SolveOptions,
    integral_objective: bool = False,
    lot_sizing: bool = False,
    lazy_bounds: bool = False,
) -> None:
    if lot_sizing:
        effort = LOT_SIZING_LAZY_HEURISTIC_EFFORT if lazy_bounds else LOT_SIZING_HEURISTIC_EFFORT
        h.setOptionValue("mip_heuristic_effort", effort)
    if integral_objective:
        # Stop as soon as no better integer objective can exist (see has_integral_optimum).
        h.setOptionValue("mip_abs_gap", 1.0 - 1e-6)
    set_threads(h, options.threads)
    h.setOptionValue("mip_rel_gap", options.mip_rel_gap)
    h.setOptionValue("random_seed", options.random_seed)
    h.setOptionValue("output_flag", False)


def _set_objective(h: highspy.Highs, model: PlanModel, name: str) -> None:
    cost = np.zeros(model.n_columns)
    for col, coef in model.objectives[name].items():
        cost[col] = coef
    h.changeColsCost(model.n_columns, np.arange(model.n_columns, dtype=np.int32), cost)


def _run_stage(
    h: highspy.Highs, model: PlanModel, name: str, limit_s: float, start: np.ndarray | None
) -> tuple[StageResult, np.ndarray | None]:
    """One HiGHS run. `start` is the previous stage's plan, feasible for this stage too.

    HiGHS may drop a MIP start (its dual presolve reductions keep *an* optimum, not every
    feasible point), so when it returns nothing better, the start itself is the stage's
    solution: status `feasible`, with HiGHS's proven bound.
    """
    limit_s = max(limit_s, 0.01)  # HiGHS wants a positive limit; a late stage gets a glimpse
    h.setOptionValue("time_limit", limit_s)
    started = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - started
    status, has_solution = stage_status(h)
    info = h.getInfo()
    bound: float | None = float(info.mip_dual_bound)
    if bound is None or not np.isfinite(bound) or status is Status.INFEASIBLE:
        bound = None
    values = np.array(h.getSolution().col_value) if has_solution else None
    objective = objective_value(model, name, values) if values is not None else None
    if start is not None and status is not Status.INFEASIBLE:
        start_objective = objective_value(model, name, start)
        if objective is None or start_objective < objective - 1e-9 * max(1.0, abs(objective)):
            # A proven optimum stays proven (the start is within its gap); otherwise feasible.
            status = Status.OPTIMAL if status is Status.OPTIMAL else Status.FEASIBLE
            values, objective = start, start_objective
    if name == "fairness":
        # Stored as minimise -lambda; report lambda and its proven upper bound.
        objective = -objective if objective is not None else None
        bound = -bound if bound is not None else None
    elif name == "expiry":
        # Stored as minimise -(vials used of expiring lots); report the vials that expire.
        objective = model.expiring_vials + objective if objective is not None else None
        bound = model.expiring_vials + bound if bound is not None else None
    gap = relative_gap(objective, bound) if objective is not None else None
    return StageResult(name, status, objective, bound, gap, seconds, limit_s), values


def _improved_stage(
    model: PlanModel,
    stage: StageResult,
    before: np.ndarray,
    after: np.ndarray,
    messages: list[str],
) -> StageResult:
    """The stage's result for the values fix-and-optimise returned (HiGHS's bound kept)."""
    old = objective_value(model, stage.name, before)
    new = objective_value(model, stage.name, after)
    if new >= old:
        return stage
    sign = -1.0 if stage.name == "fairness" else 1.0  # fairness is stored as minimise -lambda
    messages.append(
        f"stage {stage.name}: fix-and-optimise improved HiGHS's plan from {sign * old:.6g} "
        f"to {sign * new:.6g}"
    )
    objective = sign * new
    return replace(stage, objective=objective, gap=relative_gap(objective, stage.bound))


def _fix_stage(
    hs: list[highspy.Highs],
    model: PlanModel,
    stage: StageResult,
    values: np.ndarray,
    options: SolveOptions,
) -> None:
    """Keep the earlier optimum: lambda >= found - tol; weighted shortage <= found·(1+tol).

    The fixed value is computed from the solution itself rather than HiGHS's reported
    objective, so the solution handed to the next stage as a start always satisfies it.
    """
    for h in hs:
        if stage.name == "fairness" and model.min_fill_rate is not None:
            found = min(float(values[model.min_fill_rate]), stage.objective or 0.0)
            h.changeColBounds(
                model.min_fill_rate, max(0.0, found - options.fill_rate_tolerance), 1.0
            )
        elif stage.name == "shortage":
            found = max(objective_value(model, "shortage", values), stage.objective or 0.0)
            cols = np.array(list(model.objectives["shortage"]), dtype=np.int32)
            vals = np.array(list(model.objectives["shortage"].values()))
            ceiling = found * (1 + options.shortage_rel_tolerance) + 1e-6
            h.addRow(-highspy.kHighsInf, ceiling, len(cols), cols, vals)
            h.passRowName(h.getNumRow() - 1, "lexicographic_shortage_ceiling")
        elif stage.name == "expiry":
            # Stored as minimise -used: keep at least the vials used (within the tolerance).
            found = objective_value(model, "expiry", values)
            cols = np.array(list(model.objectives["expiry"]), dtype=np.int32)
            vals = np.array(list(model.objectives["expiry"].values()))
            ceiling = found + options.expiry_rel_tolerance * abs(found) + 1e-6
            h.addRow(-highspy.kHighsInf, ceiling, len(cols), cols, vals)
            h.passRowName(h.getNumRow() - 1, "lexicographic_expiry_ceiling")


def _fix_regime(h: highspy.Highs, model: PlanModel, regime: str | None) -> None:
    """Fix `regime` in every period, or free every regime column again (None)."""
    if not model.regime:
        return
    if regime is None:
        cols = list(model.regime.values())
        lower, upper = np.zeros(len(cols)), np.ones(len(cols))
    else:
        cols, values = regime_bounds(model, regime)
        lower = upper = np.array(values)
    h.changeColsBounds(len(cols), np.array(cols, dtype=np.int32), lower, upper)


def _warm_start(h: highspy.Highs, model: PlanModel, values: np.ndarray) -> None:
    """Hand HiGHS the previous stage's plan, binaries rounded, as a complete MIP start."""
    start = values.copy()
    integer = np.array(model.col_integer, dtype=bool)
    start[integer] = np.round(start[integer])
    solution = highspy.HighsSolution()
    solution.col_value = start.tolist()
    solution.value_valid = True
    h.setSolution(solution)


def solve(problem: PlanningProblem, options: SolveOptions | None = None) -> Plan:
    """Solve `problem` within `options.time_limit_s` seconds (model building included)."""
    options = options or SolveOptions()
    started = time.perf_counter()
    # The stages stop a little early: building the plan, explaining its shortages and checking
    # it come after them (about 0.2 s on the regional demo), and HiGHS overshoots a little.
    deadline = (
        started
        + options.time_limit_s
        - min(FINISH_RESERVE_MAX_S, FINISH_RESERVE_SHARE * options.time_limit_s)
    )
    model = build_model(problem)
    if time.perf_counter() >= deadline:
        # HiGHS would be given no time at all: say so rather than run stages of 0.01 s.
        seconds = time.perf_counter() - started
        return Plan(
            problem.name,
            Status.TIME_LIMIT_NO_SOLUTION,
            None,
            None,
            None,
            seconds,
            (),
            messages=(
                f"building the model took {seconds:.1f} s of the {options.time_limit_s:g} s "
                "time limit: no time was left to solve it",
            ),
        )
    lot_sizing = not problem.allow_unmet_demand
    lazy = setup_bounds_as_cuts(options.setup_bounds, len(model.setup_bounds), lot_sizing)
    integral_objective = has_integral_optimum(problem)
    h_lp: highspy.Highs | None = None
    added: set[int] = set()
    if lazy:
        h_lp = to_highs(model, with_setup_bounds=False)
        _configure(h_lp, options)
        relaxed_copy(model, h_lp)
    names = ["fairness", "shortage", "cost"] if problem.allow_unmet_demand else ["cost"]
    if problem.allow_unmet_demand and model.objectives["expiry"]:
        names.insert(2, "expiry")  # only when some central lot expires in the horizon
    # Fairness and shortage do not depend on the regime: run the dominant one throughout.
    dominant = dominant_regime(problem) if model.regime else None
    stages: list[StageResult] = []
    messages: list[str] = []
    values: np.ndarray | None = None
    fixed: list[tuple[StageResult, np.ndarray]] = []
    if options.portfolio and is_classic_clsp(problem):
        budget = PORTFOLIO_TIME_SHARE * (deadline - time.perf_counter())
        production = textbook_production(problem, budget, options.threads)
        found = flows_from_production(model, production) if production is not None else None
        if found is not None:
            values = found
            messages.append("aggregated-model incumbent given to HiGHS")
    for name in names:
        remaining = deadline - time.perf_counter()
        stage_regime = dominant if name != "cost" else None
        if h_lp is not None:
            _set_objective(h_lp, model, name)
            _fix_regime(h_lp, model, stage_regime)
            cut_deadline = time.perf_counter() + CUT_TIME_SHARE * remaining * STAGE_TIME_SHARE[name]
            separate_setup_bounds(h_lp, [], model, added, cut_deadline)
            messages.append(f"stage {name}: {len(added)} facility-location setup bounds as cuts")
        # A fresh HiGHS instance per stage: after a long MIP run, HiGHS 1.16 was seen to
        # ignore a valid MIP start given with setSolution on the same instance.
        # The stage's objective goes in now: a later change of the model (costs included)
        # makes HiGHS drop the MIP start given with setSolution.
        h = to_highs(model, name, with_setup_bounds=not lazy)
        _configure(h, options, integral_objective, lot_sizing, lazy)

        def prepare(h_sub: highspy.Highs, regime: str | None = stage_regime) -> None:
            add_rows(h_sub, model, sorted(added))
            for done, done_values in fixed:
                _fix_stage([h_sub], model, done, done_values, options)
            if regime is not None:
                _fix_regime(h_sub, model, regime)

        prepare(h)
        fix_and_optimise = partial(
            improve,
            model,
            threads=options.threads,
            objective=name,
            prepare=prepare,
            with_setup_bounds=not lazy,
            free_regimes=stage_regime is None,
        )

        if options.heuristic:
            budget = (
                HEURISTIC_TIME_SHARE * (deadline - time.perf_counter()) * STAGE_TIME_SHARE[name]
            )
            found = relax_and_fix(model, options.threads, budget, name, prepare, not lazy)
            if found is not None and (
                values is None
                or objective_value(model, name, found) < objective_value(model, name, values)
            ):
                values = found
                messages.append(f"stage {name}: relax-and-fix incumbent given to HiGHS")
        if options.improve and values is not None and stages and IMPROVE_TIME_SHARE[name] > 0:
            # The previous stage's plan is feasible here; its binaries were chosen for another
            # objective, and HiGHS alone seldom moves far from it (regimes above all).
            budget = (
                IMPROVE_TIME_SHARE[name] * (deadline - time.perf_counter()) * STAGE_TIME_SHARE[name]
            )
            before = objective_value(model, name, values)
            if name == "cost":
                compact_budget = max(COMPACT_TIME_SHARE * budget, min(COMPACT_MIN_S, budget / 2))
                compacted = compacted_start(model, values, compact_budget)
                budget -= compact_budget
                if compacted is not None:
                    after = objective_value(model, name, compacted)
                    messages.append(
                        f"stage cost: compaction into fewer {dominant} periods took the start "
                        f"from {before:.6g} to {after:.6g}"
                    )
                    values, before = compacted, after
            values = fix_and_optimise(incumbent=values, budget_s=budget)
            after = objective_value(model, name, values)
            if after < before:
                messages.append(
                    f"stage {name}: fix-and-optimise improved the start from {before:.6g} "
                    f"to {after:.6g}"
                )
        if values is not None:
            _warm_start(h, model, values)
        remaining = deadline - time.perf_counter()
        stage_time = remaining * STAGE_TIME_SHARE[name]
        polish_first = (
            options.improve
            and problem.allow_unmet_demand
            and not stages
            and stage_time >= FIRST_STAGE_IMPROVE_MIN_S
        )
        highs_time = stage_time * (1 - FIRST_STAGE_IMPROVE_SHARE) if polish_first else stage_time
        stage, stage_values = _run_stage(h, model, name, highs_time, values)
        if polish_first and stage_values is not None and stage.status is not Status.OPTIMAL:
            # HiGHS's first incumbents for the fairness stage can be far from its optimum
            # (0.33-0.55 against 0.82 on the regional demo after 8-17 s on a loaded machine);
            # windows of periods around them find it. HiGHS's bound stays the stage's bound.
            polish_started = time.perf_counter()
            budget = stage_time - stage.seconds
            better = fix_and_optimise(incumbent=stage_values, budget_s=budget)
            stage = _improved_stage(model, stage, stage_values, better, messages)
            stage = replace(stage, seconds=stage.seconds + time.perf_counter() - polish_started)
            stage_values = better
        if integral_objective and stage.bound is not None and stage.objective is not None:
            bound = float(math.ceil(stage.bound - 1e-6))
            stage = replace(stage, bound=bound, gap=relative_gap(stage.objective, bound))
        stages.append(stage)
        if stage_values is None:
            return Plan(
                problem.name,
                stage.status,
                None,
                None,
                None,
                time.perf_counter() - started,
                tuple(stages),
                messages=(*messages, f"stage {name}: no solution ({stage.status.value})"),
            )
        values = stage_values
        fixed.append((stage, stage_values))
        if h_lp is not None:
            _fix_stage([h_lp], model, stage, stage_values, options)
    assert values is not None
    final = stages[-1]
    status = Status.OPTIMAL if all(s.status is Status.OPTIMAL for s in stages) else Status.FEASIBLE
    plan = extract_plan(model, values, status, tuple(stages), time.perf_counter() - started)
    violations = check_plan(problem, plan)
    if violations:
        status = Status.ERROR
        messages.append(f"the returned plan failed {len(violations)} feasibility check(s)")
    return Plan(
        problem.name,
        status,
        final.objective,
        final.bound,
        final.gap,
        time.perf_counter() - started,
        tuple(stages),
        lots=plan.lots,
        flows=plan.flows,
        lot_uses=plan.lot_uses,
        allocations=plan.allocations,
        shortages=plan.shortages,
        fill_rates=plan.fill_rates,
        periods=plan.periods,
        min_fill_rate=plan.min_fill_rate,
        weighted_shortage=plan.weighted_shortage,
        cost=plan.cost,
        expired_vials=plan.expired_vials,
        check_violations=tuple(violations),
        messages=tuple(messages),
    )
