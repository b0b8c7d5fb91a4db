"""An independent feasibility check of a returned plan against the problem.

It reads only the problem and the plan (never the model's columns), so a bug in the model or a
solver tolerance that went too far shows up as a named violation instead of a silent bad plan.
"""

from __future__ import annotations

from collections import defaultdict

from rempart.planning.formats import line_format_steps
from rempart.planning.plan import Plan
from rempart.planning.problem import CENTRAL, PlanningProblem

#: Relative tolerance: HiGHS's primal feasibility tolerance is 1e-7 on scaled rows.
REL_TOL = 1e-6
ABS_TOL = 1e-5


def _exceeds(value: float, limit: float) -> bool:
    return value > limit + ABS_TOL + REL_TOL * abs(limit)


def check_plan(problem: PlanningProblem, plan: Plan) -> list[str]:
    """Violations of windows, balances, lots, capacity, minimum batch and regime durations."""
    issues: list[str] = []
    lots_by_id = {lot.lot_id: lot for lot in problem.lots}
    supply: dict[tuple[str, int], float] = defaultdict(float)
    for flow in plan.flows:
        window = problem.consumption_window(problem.product(flow.product), flow.filled_period)
        if flow.consumed_period not in window or flow.vials < -ABS_TOL:
            issues.append(
                f"product {flow.product}: vials filled in period {flow.filled_period} used in "
                f"period {flow.consumed_period}, outside the QC/shelf-life window"
            )
        supply[flow.product, flow.consumed_period] += flow.vials
    used_by_lot: dict[str, float] = defaultdict(float)
    own: dict[tuple[str, str, int], float] = defaultdict(float)
    for use in plan.lot_uses:
        lot = lots_by_id[use.lot_id]
        if use.period not in problem.lot_window(lot):
            issues.append(f"lot {lot.lot_id}: used in period {use.period}, outside its window")
        used_by_lot[lot.lot_id] += use.vials
        if lot.location == CENTRAL:
            supply[lot.product, use.period] += use.vials
        else:
            own[lot.product, lot.location, use.period] += use.vials
    for lot_id, vials in used_by_lot.items():
        if _exceeds(vials, lots_by_id[lot_id].quantity_vials):
            issues.append(f"lot {lot_id}: {vials:.3f} vials used, more than it holds")
    sent: dict[tuple[str, int], float] = defaultdict(float)
    for a in plan.allocations:
        where = f"product {a.product}, hospital {a.hospital}, period {a.period}"
        total = a.from_central_vials + a.from_own_stock_vials + a.unmet_vials
        if abs(total - a.demand_vials) > ABS_TOL + REL_TOL * a.demand_vials:
            issues.append(f"{where}: served + unmet = {total:.3f} != demand {a.demand_vials}")
        if abs(own[a.product, a.hospital, a.period] - a.from_own_stock_vials) > ABS_TOL:
            issues.append(f"{where}: own-stock use does not match the lots used")
        if a.unmet_vials > ABS_TOL and not problem.allow_unmet_demand:
            issues.append(f"{where}: unmet demand where none is allowed")
        sent[a.product, a.period] += a.from_central_vials
    for key in set(sent) | set(supply):
        if abs(sent[key] - supply[key]) > ABS_TOL + REL_TOL * supply[key]:
            issues.append(
                f"product {key[0]}, period {key[1]}: {sent[key]:.3f} vials sent to hospitals "
                f"but {supply[key]:.3f} released from production and central stock"
            )
    issues.extend(_check_capacity(problem, plan))
    return issues


def _check_capacity(problem: PlanningProblem, plan: Plan) -> list[str]:
    issues: list[str] = []
    hours = [0.0] * problem.n_periods
    formats: list[set[str]] = [set() for _ in range(problem.n_periods)]
    for lot in plan.lots:
        product = problem.product(lot.product)
        hours[lot.period] += product.setup_hours + lot.vials * product.line_hours_per_vial
        formats[lot.period].add(product.vial_format)
        if _exceeds(product.min_batch_vials, lot.vials):  # the same tolerance as every row
            issues.append(
                f"product {lot.product}, period {lot.period}: lot of {lot.vials:.1f} vials "
                f"below the minimum batch {product.min_batch_vials:g}"
            )
    regimes = {r.name: r for r in problem.regimes}
    spare = [0.0] * problem.n_periods
    over = False
    for use in plan.periods:
        available = regimes[use.regime].capacity_hours[use.period]
        spare[use.period] = available - hours[use.period] + ABS_TOL + REL_TOL * abs(available)
        if _exceeds(hours[use.period], available):
            over = True
            issues.append(
                f"period {use.period}: {hours[use.period]:.3f} line hours used, "
                f"{available:.3f} available in regime {use.regime}"
            )
    if not over and problem.format_change_hours > 0:  # else that period is named already
        issues.extend(_check_format_changes(problem, formats, spare))
    run: dict[str, int] = defaultdict(int)
    previous = problem.regimes[0].name
    for use in plan.periods:
        if use.regime != previous:
            regime = regimes[previous]
            started_in_horizon = run[previous] < use.period
            if started_in_horizon and run[previous] < regime.min_duration_periods:
                issues.append(
                    f"period {use.period}: regime {previous} ran {run[previous]} period(s), "
                    f"less than its minimum {regime.min_duration_periods}"
                )
            run = defaultdict(int)
        run[use.regime] += 1
        previous = use.regime
    return issues


def _check_format_changes(
    problem: PlanningProblem, formats: list[set[str]], spare: list[float]
) -> list[str]:
    """Whether some sequence of the line's format fits every period's format changes."""
    if line_format_steps(problem, formats, spare) is not None:
        return []
    # Name the first period no sequence gets through (the shortest prefix that fails).
    t = next(
        n - 1
        for n in range(1, len(formats) + 1)
        if line_format_steps(problem, formats[:n], spare[:n]) is None
    )
    change = problem.format_change_hours
    left = max(0.0, spare[t] - ABS_TOL)
    return [
        f"period {t}: its lots leave {left:.3f} spare line hours, too few for the vial format "
        f"changes it needs from the format the line is in ({change:g} h each, "
        f"formats {', '.join(sorted(formats[t]))})"
    ]
