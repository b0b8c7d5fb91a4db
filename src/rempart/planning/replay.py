"""Replay a crisis scenario day by day through planning, the line and PPA rationing.

A scenario (`rempart-scenario/1`, JSON, shipped in `rempart/planning/scenarios/` or any file)
describes a region's demand and industry supply over a window, e.g. spring 2020 (DOMAIN.md
§7.1), with every number's source or assumption written beside it. `run(scenario, seed)`
simulates it twice with the same demand, forecasts and deliveries:

* **with the line**: each simulated day the planner builds a `PlanningProblem` for the next
  H days from the state (stock per hospital and central, quarantine lots with their release
  date, the known delivery schedule, its noisy demand forecast) and solves it with a short
  time limit; only the first day is applied: the lots filled that day enter QC quarantine and
  are released L_QC days later, and the regime (normal or 24/7 crisis) is run, a crisis lasting
  at least its minimum duration (rolling horizon);
* **baseline**: no in-house line, nothing else changes.

Each day, hospitals use their own stock first; the central pharmacy then rations its usable
stock (released, not past expiry minus the minimum residual) among the hospitals with PPA
(`rationing.py`), against the day's actual demand, hospitals ordering in a seeded random order.

Same scenario and seed give the same figures, provided no daily solve stops at its time limit
(a time-limited MIP is not reproducible): `ReplayResult.solves_at_time_limit` says how many did.
No Django here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rempart.planning.formats import period_changes
from rempart.planning.plan import Plan, Status
from rempart.planning.problem import PlanningProblem
from rempart.planning.rationing import RationRequest, ration
from rempart.planning.replay_result import DayRecord, Outcome, ProductDay, RationLine, ReplayResult
from rempart.planning.replay_world import (
    Lot,
    ReplayState,
    World,
    build_problem,
    crisis_regime,
    usable_until,
)
from rempart.planning.scenario import Scenario, load_scenario
from rempart.planning.solve import SolveOptions, solve


def _first_day_problems(problem: PlanningProblem, plan: Plan) -> list[str]:
    """The replay applies only the plan's first day: check that day on its own.

    A plan whose `check.py` verdict failed for a later period (`Status.ERROR`) is still usable
    for today if today's lots are at least the minimum batch and fit the regime's hours.
    """
    errors = []
    period = plan.periods[0]
    for lot in plan.lots:
        # The line fills whole vials: the lot as filled is the rounded figure.
        if (
            lot.period == 0
            and lot.vials > 0.5
            and round(lot.vials) < (problem.product(lot.product).min_batch_vials)
        ):
            errors.append(f"lot of {lot.product} below the minimum batch")
    hours = _first_day_hours(problem, plan)
    if hours > period.capacity_hours + 1e-6:
        errors.append(f"{hours:.2f} h used, {period.capacity_hours:.2f} h in {period.regime}")
    return errors


def _fits_normal(problem: PlanningProblem, plan: Plan, regime_name: str) -> bool:
    """Whether the plan's first-day lots fit the capacity of `regime_name` on day 0."""
    regime = next(r for r in problem.regimes if r.name == regime_name)
    return _first_day_hours(problem, plan) <= regime.capacity_hours[0] + 1e-6


def _first_day_hours(problem: PlanningProblem, plan: Plan) -> float:
    """Line hours of the plan's day-0 lots: vials, one set-up each, format changes (none for
    the format the line is already in)."""
    hours = 0.0
    formats: set[str] = set()
    for lot in plan.lots:
        if lot.period == 0 and lot.vials > 0.5:
            product = problem.product(lot.product)
            hours += lot.vials * product.line_hours_per_vial + product.setup_hours
            formats.add(product.vial_format)
    changes = period_changes(formats, problem.initial_vial_format)
    if plan.periods:
        # The plan's own count also has a change back to the format carried in, or one
        # that prepares day 1's format after the lots.
        changes = max(changes, plan.periods[0].format_changes)
    return hours + problem.format_change_hours * changes


def _ration_day(
    world: World, state: ReplayState, today: int, forecast: np.ndarray
) -> list[ProductDay]:
    """Hospitals' own stock first, then PPA over the central pharmacy's usable stock."""
    s = world.scenario
    residual = s.line.min_residual_days
    out: list[ProductDay] = []
    for j, code in enumerate(world.codes):
        usable = sorted(
            (
                lot
                for lot in state.central
                if lot.product == code
                and lot.release_day <= today
                and usable_until(lot, residual) >= today
                and lot.quantity > 0
            ),
            key=lambda lot: lot.expiry_day,
        )
        supply = sum(lot.quantity for lot in usable)
        own: list[float] = []
        requested: list[float] = []
        for i, h in enumerate(world.hcodes):
            demand = float(world.actual[today, i, j])
            used = min(state.hospital[h, code], demand)
            state.hospital[h, code] -= used
            own.append(used)
            requested.append(demand - used)
        # What the central pharmacy expects to still be asked, per hospital, today (forecast).
        expected_today = [
            max(0.0, float(forecast[0, i, j]) - state.hospital[h, code])
            for i, h in enumerate(world.hcodes)
        ]
        reserve = 0.0
        if s.ration_lookahead_days > 0:
            r = s.ration_lookahead_days
            future = float(forecast[1 : 1 + r, :, j].sum())
            incoming = float(world.deliveries[today + 1 : today + 1 + r, j].sum()) + sum(
                lot.quantity
                for lot in state.central
                if lot.product == code and today < lot.release_day <= today + r
            )
            hospital_left = sum(state.hospital[h, code] for h in world.hcodes)
            reserve = max(0.0, future - incoming - hospital_left)
        order = world.order(today, j)
        remaining = supply
        lines: dict[int, RationLine] = {}
        for position, i in enumerate(order):
            later = sum(expected_today[k] for k in order[position + 1 :]) + reserve
            decision = ration(remaining, RationRequest(world.hcodes[i], requested[i], later))
            remaining = decision.supply_after_vials
            lines[i] = RationLine(
                world.hcodes[i],
                float(world.actual[today, i, j]),
                own[i],
                requested[i],
                decision.allocated_vials,
            )
        allocated = supply - remaining
        take = allocated
        for lot in usable:  # first expiry, first out
            used = min(lot.quantity, take)
            lot.quantity -= used
            take -= used
        for i, h in enumerate(world.hcodes):
            key = (h, code)
            line = lines[i]
            state.demanded[key] = state.demanded.get(key, 0.0) + line.demand_vials
            state.served[key] = (
                state.served.get(key, 0.0) + line.from_own_stock_vials + line.allocated_vials
            )
        out.append(
            ProductDay(code, supply, allocated, tuple(lines[i] for i in range(len(world.hcodes))))
        )
    return out


def _simulate(
    world: World,
    with_line: bool,
    progress: Callable[[int, int], None] | None,
    stats: dict[str, int],
) -> Outcome:
    s = world.scenario
    state = world.initial_state()
    options = SolveOptions(time_limit_s=s.time_limit_s, threads=1, mip_rel_gap=s.mip_rel_gap)
    crisis = crisis_regime(s)
    for today in range(s.days):
        released = 0.0
        for lot in state.central:
            if lot.kind == "production" and lot.release_day == today:
                released += lot.quantity
        delivered = 0.0
        for j, code in enumerate(world.codes):
            qty = float(world.deliveries[today, j])
            if qty > 0:
                delivered += qty
                state.central.append(
                    Lot(code, qty, today, today + s.delivery_expiry_days, "delivery")
                )
        filled = 0.0
        status = ""
        seconds = 0.0
        regime = state.regime
        if with_line:
            problem = build_problem(world, state, today)
            plan = solve(problem, options)
            stats["solves"] += 1
            status = plan.status.value
            seconds = plan.seconds
            if any(st.status is not Status.OPTIMAL for st in plan.stages):
                stats["at_limit"] += 1
            first_day = _first_day_problems(problem, plan) if plan.periods else ["no plan"]
            if plan.status is Status.ERROR:
                stats["check_failed"] += 1
            if not first_day:
                regime = plan.periods[0].regime
                state.line_format = plan.periods[0].line_format or state.line_format
                for made in plan.lots:
                    if made.period == 0 and made.vials > 0.5:
                        vials = float(round(made.vials))
                        filled += vials
                        state.central.append(
                            Lot(
                                made.product,
                                vials,
                                today + s.line.qc_lead_time_days,
                                today + s.line.shelf_life_days,
                                "production",
                            )
                        )
            else:
                stats["failed"] += 1  # nothing filled today; the regime stays as it was
            locked = state.regime == crisis.name and state.regime_days < crisis.min_duration_days
            if locked:
                regime = crisis.name
            elif (
                regime == crisis.name
                and state.regime != crisis.name
                and _fits_normal(problem, plan, state.regime)
            ):
                # A cost-optimal plan never switches the crisis regime on for a day whose lots
                # fit the regime in force (starting a day later costs the same or less); a
                # plan stopped at its time limit sometimes does. Defer the switch-on.
                regime = state.regime
                stats["deferred"] += 1
        if regime == state.regime:
            state.regime_days += 1
        else:
            state.regime, state.regime_days = regime, 1
        if regime == crisis.name and with_line:
            state.crisis_days += 1
        state.made += filled
        forecast = world.forecast(today)
        products = _ration_day(world, state, today, forecast)
        # Stock past its expiry minus the minimum residual shelf life is withdrawn tonight.
        for lot in state.central:
            if lot.quantity > 0 and usable_until(lot, s.line.min_residual_days) <= today:
                state.expired += lot.quantity
                lot.quantity = 0.0
        state.central = [lot for lot in state.central if lot.quantity > 0]
        demand = sum(sum(line.demand_vials for line in p.lines) for p in products)
        served = sum(
            sum(line.from_own_stock_vials + line.allocated_vials for line in p.lines)
            for p in products
        )
        state.days.append(
            DayRecord(
                today,
                world.dates[today].isoformat(),
                regime if with_line else "-",
                filled,
                released,
                delivered,
                demand,
                served,
                tuple(products),
                status,
                round(seconds, 3),
            )
        )
        if progress is not None:
            progress(today + 1, s.days)
    total_demand = sum(state.demanded.values())
    total_served = sum(state.served.values())
    hospital_rates = {}
    for h in world.hcodes:
        d = sum(state.demanded[h, c] for c in world.codes)
        hospital_rates[h] = round(sum(state.served[h, c] for c in world.codes) / d, 6) if d else 1.0
    product_rates = {}
    for c in world.codes:
        d = sum(state.demanded[h, c] for h in world.hcodes)
        product_rates[c] = round(sum(state.served[h, c] for h in world.hcodes) / d, 6) if d else 1.0
    worst = min(hospital_rates, key=lambda h: (hospital_rates[h], h))
    return Outcome(
        label="with the line" if with_line else "baseline (no line)",
        demand_vials=round(total_demand, 1),
        served_vials=round(total_served, 1),
        regional_fill_rate=round(total_served / total_demand, 6) if total_demand else 1.0,
        min_hospital_fill_rate=hospital_rates[worst],
        min_hospital=worst,
        hospital_fill_rates=hospital_rates,
        product_fill_rates=product_rates,
        crisis_days=state.crisis_days,
        vials_made=state.made,
        vials_expired=round(state.expired, 1),
        days=tuple(state.days),
    )


def run(
    scenario: Scenario | str | Path,
    seed: int = 1,
    *,
    quick: bool = False,
    days: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """Replay `scenario` (a Scenario, a packaged name or a file) with and without the line.

    `quick` uses the file's short variant; `days` cuts the window. `progress(day, days)` is
    called after each simulated day of the arm with the line.
    """
    started = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if quick:
        scenario = scenario.quick()
    if days is not None:
        scenario = scenario.with_days(days)
    world = World(scenario, seed)
    stats = {"solves": 0, "at_limit": 0, "failed": 0, "check_failed": 0, "deferred": 0}
    with_line = _simulate(world, True, progress, stats)
    baseline = _simulate(world, False, None, stats)
    return ReplayResult(
        scenario=scenario.name,
        seed=seed,
        quick=quick,
        start=scenario.start.isoformat(),
        end=scenario.end.isoformat(),
        days=scenario.days,
        products=tuple(world.codes),
        hospitals=len(world.hcodes),
        with_line=with_line,
        baseline=baseline,
        seconds=time.perf_counter() - started,
        solves=stats["solves"],
        solves_at_time_limit=stats["at_limit"],
        solves_failed=stats["failed"],
        solves_check_failed=stats["check_failed"],
        crisis_switch_ons_deferred=stats["deferred"],
    )
