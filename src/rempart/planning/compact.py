"""Compaction: the same service in fewer days of the costly regime (a cost-stage incumbent).

The shortage stage's plan serves exactly the demand the cost stage must serve (its fill rate
and weighted shortage are fixed from then on), but it was chosen without a thought for cost:
with the crisis regime free of charge in that stage, its lots are scattered over every day of
the horizon. HiGHS and fix-and-optimise seldom find the few-crisis-days plans from there,
because dropping one crisis day means moving a day's production at once.

`compacted_start` keeps what each period of each product is served from production, and
rebuilds the lots for a regime calendar: the block regime (the one with at least every other
regime's hours in every period) on periods 0 .. N - 1, the regime in force before the horizon
after them. The lots of the first few periods may be kept as the plan has them (they reach the
shortage optimum, which a greedy may not find again). The other periods are filled from the
last one back, each with as few lots as fit: the product whose demand comes latest first,
filled from its latest demand backwards (as late as possible, so the least holding), while a
lot of at least the minimum batch still fits. A calendar fails when some demand is left over.
Every block length is tried, shortest first, for each kept prefix; the cheapest plan found,
checked against every row of the model, is returned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from rempart.planning.formats import FormatStep, line_format_steps
from rempart.planning.model import PlanModel
from rempart.planning.strengthen import dominant_regime

#: Vials below this are solver noise, not demand to serve.
EPS_VIALS = 1e-6
#: Hours of slack allowed when a period's lots are checked against its capacity.
EPS_HOURS = 1e-7
#: Row tolerance of the final check (HiGHS's own primal feasibility tolerance is 1e-7).
ROW_TOL = 1e-6


@dataclass
class _Period:
    """The lots being built in one period."""

    hours: float
    lots: dict[str, float] = field(default_factory=dict)
    formats: set[str] = field(default_factory=set)
    arcs: dict[tuple[str, int], float] = field(default_factory=dict)


class _Start:
    """What the compaction reads from the model and the plan, once."""

    def __init__(self, model: PlanModel, values: np.ndarray) -> None:
        self.model = model
        problem = model.problem
        self.rate = {p.code: p.line_hours_per_vial for p in problem.products}
        self.setup_hours = {p.code: p.setup_hours for p in problem.products}
        self.min_batch = {p.code: p.min_batch_vials for p in problem.products}
        self.vial_format = {p.code: p.vial_format for p in problem.products}
        self.format_hours = problem.format_change_hours if model.format_used else 0.0
        #: Consumption periods [first, last] a lot of p filled in t may serve (arcs exist for
        #: every period in it with demand, hence for every period with vials to place).
        self.window: dict[tuple[str, int], tuple[int, int]] = {}
        for p, t in model.setup:
            window = problem.consumption_window(problem.product(p), t)
            self.window[p, t] = (window.start, window.stop - 1)
        self.flows = [
            (p, t, k, float(values[col]), bool(values[model.setup[p, t]] > 0.5))
            for (p, t, k), col in model.flow.items()
        ]
        self._split: dict[int, tuple[dict[str, dict[int, float]], dict[int, _Period]]] = {}

    def lot_hours(self, period: _Period) -> float:
        """Hours of a period's filling and setups (format changes not counted)."""
        filling = sum(vials * self.rate[p] for (p, _), vials in period.arcs.items())
        return filling + sum(self.setup_hours[p] for p in period.lots)

    def format_steps(self, used: list[set[str]], spare: list[float]) -> list[FormatStep] | None:
        """The line's format along `used` with the fewest changes that fit `spare` hours."""
        return line_format_steps(self.model.problem, used, spare)

    def split(self, keep_before: int) -> tuple[dict[str, dict[int, float]], dict[int, _Period]]:
        """Vials still to place per product and period, and the kept periods' own lots."""
        if keep_before not in self._split:
            need: dict[str, dict[int, float]] = {}
            kept: dict[int, _Period] = {}
            for p, t, k, vials, lot in self.flows:
                if t < keep_before and lot:
                    period = kept.setdefault(t, _Period(0.0))
                    period.lots.setdefault(p, 0.0)
                    period.formats.add(self.vial_format[p])
                    if vials > 0:
                        period.arcs[p, k] = vials
                        period.lots[p] += vials
                elif vials > EPS_VIALS:
                    served = need.setdefault(p, {})
                    served[k] = served.get(k, 0.0) + vials
            for served in need.values():
                for k in [k for k, vials in served.items() if vials <= EPS_VIALS]:
                    del served[k]
            self._split[keep_before] = (need, kept)
        need, kept = self._split[keep_before]
        return {p: dict(served) for p, served in need.items()}, kept


class _Builder:
    """Demand served from production per product and period, still to be placed in lots."""

    def __init__(self, start: _Start, keep_before: int) -> None:
        self.start = start
        self.need, kept = start.split(keep_before)
        self.kept = {
            t: _Period(0.0, period.lots, period.formats, period.arcs) for t, period in kept.items()
        }
        self.rate = start.rate
        self.setup_hours = start.setup_hours
        self.min_batch = start.min_batch
        self.format_hours = start.format_hours

    def overhead(self, period: _Period, p: str) -> float:
        fmt = 0.0 if self.start.vial_format[p] in period.formats else self.format_hours
        return self.setup_hours[p] + fmt

    def available(self, p: str, t: int) -> list[int]:
        """Periods whose demand of p a lot filled in t can serve, latest first."""
        window = self.start.window.get((p, t))
        if window is None:
            return []
        first, last = window
        return sorted((k for k in self.need.get(p, {}) if first <= k <= last), reverse=True)

    def fill(self, period: _Period, p: str, t: int, ks: list[int]) -> None:
        """Open p's lot in t and fill it with the demands `ks`, in order, within the hours."""
        period.hours -= self.overhead(period, p)
        period.formats.add(self.start.vial_format[p])
        period.lots[p] = 0.0
        for k in ks:
            take = min(self.need[p][k], period.hours / self.rate[p])
            if take <= EPS_VIALS:
                break
            period.arcs[p, k] = take
            period.lots[p] += take
            period.hours -= take * self.rate[p]
            self.need[p][k] -= take
            if self.need[p][k] <= EPS_VIALS:
                del self.need[p][k]


def _rebuild(base: _Start, capacity: list[float], keep_before: int) -> dict[int, _Period] | None:
    """Lots per period for these capacities, or None when the calendar cannot serve the plan.

    Periods before `keep_before` keep the plan's own lots. The others are filled from the last
    period back, each with as few lots as it takes: the product whose demand comes latest
    first, filled from its latest demand backwards (as late as possible, so the least
    holding), while a lot of at least the minimum batch still fits.
    """
    build = _Builder(base, keep_before)
    periods: dict[int, _Period] = {}
    spare = [capacity[t] for t in range(keep_before)]
    for t, period in build.kept.items():
        spare[t] = capacity[t] - base.lot_hours(period)
        if spare[t] < -EPS_HOURS:
            return None
        periods[t] = period
    # The kept periods' format changes, along the line's format (the plan may have carried one).
    steps = base.format_steps(
        [periods[t].formats if t in periods else set() for t in range(keep_before)], spare
    )
    if steps is None:
        return None
    for t, period in periods.items():
        period.hours = spare[t] - build.format_hours * steps[t].changes
    for t in reversed(range(keep_before, base.model.problem.n_periods)):
        period = _Period(capacity[t])
        periods[t] = period
        while True:
            choices = []
            for p in build.need:
                if p in period.lots:
                    continue
                ks = build.available(p, t)
                total = sum(build.need[p][k] for k in ks)
                size = build.min_batch[p]
                if ks and total >= size - EPS_VIALS:
                    lot_hours = build.overhead(period, p) + max(size, EPS_VIALS) * build.rate[p]
                    if period.hours >= lot_hours - EPS_HOURS:
                        choices.append((ks[0], total, p, ks))
            if not choices:
                break
            _, _, p, ks = max(choices)
            build.fill(period, p, t, ks)
    if any(build.need[p] for p in build.need):
        return None
    return periods


def _columns(
    base: _Start,
    values: np.ndarray,
    periods: dict[int, _Period],
    calendar: list[str],
    capacity: list[float],
) -> np.ndarray | None:
    """The model's column vector for rebuilt lots and a calendar; other columns unchanged."""
    model = base.model
    new = values.copy()
    rebuilt = (
        model.flow,
        model.setup,
        model.format_used,
        model.format_end,
        model.format_carry,
        model.format_prepared,
    )
    for columns in rebuilt:
        new[list(columns.values())] = 0.0
    if model.format_used:
        # The line's format along the rebuilt lots (the greedy charged a change for every
        # format of a period it built, so a sequence that fits exists).
        n = model.problem.n_periods
        spare = [
            capacity[t] - base.lot_hours(periods[t]) if t in periods else 0.0 for t in range(n)
        ]
        used = [periods[t].formats if t in periods else set() for t in range(n)]
        steps = base.format_steps(used, spare)
        if steps is None:
            return None
        # The format before period 0: the given one, or the one the first steps carry or keep.
        first = steps[0] if steps else None
        start = model.problem.initial_vial_format
        if start is None and first is not None:
            start = first.carried if used[0] else first.end
        if start is not None:
            new[model.format_end[start, -1]] = 1.0
        for t, step in enumerate(steps):
            if step.carried is not None:
                new[model.format_carry[step.carried, t]] = 1.0
            if step.end is not None:
                new[model.format_end[step.end, t]] = 1.0
                if step.prepared:
                    new[model.format_prepared[step.end, t]] = 1.0
    fmt_of = {p.code: p.vial_format for p in model.problem.products}
    for t, period in periods.items():
        for (p, k), vials in period.arcs.items():
            new[model.flow[p, t, k]] += vials
        for p in period.lots:
            new[model.setup[p, t]] = 1.0
            if model.format_used:
                new[model.format_used[fmt_of[p], t]] = 1.0
    initial = model.problem.regimes[0].name
    for regime in model.problem.regimes:
        before = 1.0 if regime.name == initial else 0.0
        for t, name in enumerate(calendar):
            on = 1.0 if name == regime.name else 0.0
            new[model.regime[regime.name, t]] = on
            new[model.regime_start[regime.name, t]] = max(0.0, on - before)
            before = on
    return new


def model_violations(model: PlanModel, values: np.ndarray) -> int:
    """Rows (setup bounds included) and column bounds of the base model that `values` break."""
    lengths = np.array([len(index) for index in model.row_index])
    index = np.array([i for row in model.row_index for i in row], dtype=np.int64)
    coefs = np.array([v for row in model.row_value for v in row])
    products = values[index] * coefs if len(index) else np.zeros(0)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    activity = np.bincount(owner, weights=products, minlength=len(lengths))
    scale = np.maximum(1.0, np.abs(activity))
    lower, upper = np.array(model.row_lower), np.array(model.row_upper)
    broken = int(np.sum(activity < lower - ROW_TOL * scale))
    broken += int(np.sum(activity > upper + ROW_TOL * scale))
    if model.setup_bounds:
        x = np.array([bound[0] for bound in model.setup_bounds], dtype=np.int64)
        y = np.array([bound[1] for bound in model.setup_bounds], dtype=np.int64)
        demand = np.array([bound[2] for bound in model.setup_bounds])
        limit = demand * values[y] + ROW_TOL * np.maximum(1.0, demand)
        broken += int(np.sum(values[x] > limit))
    broken += int(np.sum(values < np.array(model.col_lower) - ROW_TOL))
    broken += int(np.sum(values > np.array(model.col_upper) + ROW_TOL))
    return broken


def _calendar(model: PlanModel, block_regime: str, end: int) -> list[str]:
    """The block regime on periods 0 .. end - 1, the regime in force before the horizon after."""
    initial = model.problem.regimes[0].name
    return [block_regime if t < end else initial for t in range(model.problem.n_periods)]


def _try(
    base: _Start, values: np.ndarray, block_regime: str, end: int, keep_before: int
) -> np.ndarray | None:
    model = base.model
    calendar = _calendar(model, block_regime, end)
    by_name = {r.name: r for r in model.problem.regimes}
    capacity = [by_name[name].capacity_hours[t] for t, name in enumerate(calendar)]
    periods = _rebuild(base, capacity, keep_before)
    if periods is None:
        return None
    return _columns(base, values, periods, calendar, capacity)


def _cost(model: PlanModel, values: np.ndarray) -> float:
    return float(sum(coef * values[col] for col, coef in model.objectives["cost"].items()))


#: Periods at the start of the horizon whose lots the plan keeps, tried in turn: the first ones
#: carry the lots that reach the shortage stage's optimum, which a greedy may not find again.
KEPT_PREFIXES = (0, 1, 2, 3, 5, 7, 10, 14)
#: Feasible block lengths priced per kept prefix (the shortest ones: a block day is costly).
BLOCKS_PRICED = 3


def compacted_start(model: PlanModel, values: np.ndarray, budget_s: float) -> np.ndarray | None:
    """The cheapest compacted plan found within `budget_s`, or None if none beats `values`.

    Only for problems with two or more regimes where one has the most hours in every period
    and is not the regime in force before the horizon (the crisis regime of the demo).
    """
    problem = model.problem
    block_regime = dominant_regime(problem)
    if block_regime is None or block_regime == problem.regimes[0].name or not model.regime:
        return None
    deadline = time.perf_counter() + budget_s
    regime = next(r for r in problem.regimes if r.name == block_regime)
    n = problem.n_periods
    used = [t for t in range(n) if values[model.regime[block_regime, t]] > 0.5]
    base = _Start(model, values)
    best, best_cost = None, _cost(model, values)
    for keep in KEPT_PREFIXES:
        if keep >= n or (keep and not all(t in used for t in range(keep))):
            break  # the kept lots need the block regime's hours: the block starts at 0
        # Longer blocks are not always easier for the greedy (lots split differently), so
        # every length is tried, shortest first; the first few that work are priced.
        found = 0
        for end in range(max(keep, min(n, regime.min_duration_periods)), n + 1):
            if time.perf_counter() >= deadline or found >= BLOCKS_PRICED:
                break
            candidate = _try(base, values, block_regime, end, keep)
            if candidate is None or model_violations(model, candidate):
                continue
            found += 1
            cost = _cost(model, candidate)
            if cost < best_cost - 1e-6:
                best, best_cost = candidate, cost
    return best
