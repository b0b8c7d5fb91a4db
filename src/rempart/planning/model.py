"""The planning MIP, built in small named steps and handed to HiGHS in one go.

Formulation (docs/planning.md has the mathematics):

- facility-location ("transportation") lot sizing: x[p,t,k] is the number of vials of p filled
  in period t and consumed in period k. The arc exists only when the QC release and the shelf
  life allow it (t + L_p <= k <= t + shelf life - minimum residual), so one index set encodes
  both windows, and x[p,t,k] <= D[p,k]·y[p,t] gives the tight (l,S)-strength relaxation;
- big-bucket capacity in line hours with setup times, plus a format changeover time for each
  change of vial format: the line's format is carried from one period to the next, so a
  period that starts in the format the previous one ended in needs no change for it, and a
  period may end with a change that prepares the next period's format without filling it;
- each hospital's own stock serves its own demand first (FEFO, decided before the MIP); the
  central supply then meets the hospitals' net demand, minus unmet demand per product and
  period shared in proportion to net demand, with the max-min fill rate variable;
- one regime per period, with switch-on costs and minimum durations.

Every column and row carries a name (`x[ATRA-10-5,3,20]`, `capacity[3]`...), so a written model
(`Highs.writeModel`) can be read by a person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import highspy
import numpy as np

from rempart.planning.format_rows import add_format_constraints, add_format_variables
from rempart.planning.highs import new_highs
from rempart.planning.problem import CENTRAL, PlanningProblem
from rempart.planning.stock_use import expires_in_horizon, fefo_own_stock, met_by_central_stock
from rempart.planning.strengthen import add_regime_filling_constraints

ProductPeriod = tuple[str, int]
Arc = tuple[str, int, int]


@dataclass
class PlanModel:
    """Column and row data of the MIP, with maps from domain keys to column indices."""

    problem: PlanningProblem
    col_lower: list[float] = field(default_factory=list)
    col_upper: list[float] = field(default_factory=list)
    col_integer: list[bool] = field(default_factory=list)
    col_names: list[str] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    row_index: list[list[int]] = field(default_factory=list)
    row_value: list[list[float]] = field(default_factory=list)
    row_names: list[str] = field(default_factory=list)
    setup: dict[ProductPeriod, int] = field(default_factory=dict)
    flow: dict[Arc, int] = field(default_factory=dict)
    lot_use: dict[tuple[str, int], int] = field(default_factory=dict)
    net_demand: dict[tuple[str, str], tuple[float, ...]] = field(default_factory=dict)
    own_stock_uses: list[tuple[str, int, float]] = field(default_factory=list)
    lot_product: dict[str, str] = field(default_factory=dict)
    unmet: dict[ProductPeriod, int] = field(default_factory=dict)
    regime: dict[tuple[str, int], int] = field(default_factory=dict)
    regime_start: dict[tuple[str, int], int] = field(default_factory=dict)
    format_used: dict[tuple[str, int], int] = field(default_factory=dict)
    #: e[f,t] = 1 when the line ends period t set up for format f (t = -1: before period 0).
    format_end: dict[tuple[str, int], int] = field(default_factory=dict)
    #: c[f,t] = 1 when period t fills format f first, in the format carried in (no change).
    format_carry: dict[tuple[str, int], int] = field(default_factory=dict)
    #: b[f,t] = 1 when period t ends with a change to f made without filling f.
    format_prepared: dict[tuple[str, int], int] = field(default_factory=dict)
    min_fill_rate: int | None = None
    #: Vials of stock lots whose usable window closes inside the horizon: what would expire
    #: if none of them were used (the expiry objective is this minus the vials used).
    expiring_vials: float = 0.0
    capacity_row: dict[int, int] = field(default_factory=dict)
    setup_bounds: list[tuple[int, int, float, str]] = field(default_factory=list)
    objectives: dict[str, dict[int, float]] = field(default_factory=dict)

    def add_column(self, name: str, lower: float, upper: float, integer: bool = False) -> int:
        self.col_lower.append(lower)
        self.col_upper.append(upper)
        self.col_integer.append(integer)
        self.col_names.append(name)
        return len(self.col_names) - 1

    def add_row(
        self,
        name: str,
        lower: float,
        upper: float,
        terms: dict[int, float] | list[tuple[int, float]],
    ) -> int:
        items = list(terms.items()) if isinstance(terms, dict) else terms
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        self.row_index.append([i for i, _ in items])
        self.row_value.append([v for _, v in items])
        self.row_names.append(name)
        return len(self.row_names) - 1

    @property
    def n_columns(self) -> int:
        return len(self.col_names)

    def max_capacity_hours(self, t: int) -> float:
        return max(r.capacity_hours[t] for r in self.problem.regimes)

    def lot_overhead_hours(self, product: str) -> float:
        """Line hours every lot of `product` costs for sure: its setup (a lot filled in the
        format carried in from the previous period needs no format change)."""
        return self.problem.product(product).setup_hours


def total_demand_by_period(model: PlanModel) -> dict[ProductPeriod, float]:
    """Net demand per product and period, summed over hospitals (what central supply must meet)."""
    totals: dict[ProductPeriod, float] = defaultdict(float)
    for (_, product), series in model.net_demand.items():
        for k, vials in enumerate(series):
            if vials > 0:
                totals[product, k] += vials
    return dict(totals)


def add_production_variables(model: PlanModel) -> None:
    """Setup binaries y[p,t] and arcs x[p,t,k] that the QC and shelf-life windows allow."""
    problem = model.problem
    demand = total_demand_by_period(model)
    stock_only = met_by_central_stock(problem, demand)
    for product in problem.products:
        p = product.code
        if p in stock_only:
            continue
        for t in range(problem.n_periods):
            if model.max_capacity_hours(t) <= product.setup_hours:
                continue  # not even one vial fits after the setup in this period
            arcs = [k for k in problem.consumption_window(product, t) if demand.get((p, k), 0) > 0]
            if not arcs:
                continue
            model.setup[p, t] = model.add_column(f"y[{p},{t}]", 0.0, 1.0, integer=True)
            for k in arcs:
                model.flow[p, t, k] = model.add_column(f"x[{p},{t},{k}]", 0.0, demand[p, k])


def add_supply_variables(model: PlanModel) -> None:
    """Use of each central stock lot (on hand, quarantine, delivery) per usable period."""
    problem = model.problem
    demand = total_demand_by_period(model)
    for lot in problem.lots:
        if lot.quantity_vials <= 0 or lot.location != CENTRAL:
            continue
        for k in problem.lot_window(lot):
            need = demand.get((lot.product, k), 0.0)
            if need > 0:
                model.lot_use[lot.lot_id, k] = model.add_column(
                    f"use[{lot.lot_id},{k}]", 0.0, min(need, lot.quantity_vials)
                )


def add_allocation_variables(model: PlanModel) -> None:
    """Unmet demand per product and period, rationed in proportion to net demand, and lambda.

    unmet[p,k] vials of product p are missing in period k; each hospital bears the share of
    its net demand (proportional rationing within a period, the rule PPA also applies to
    simultaneous requests). One column per product and period instead of one per hospital
    removes the hospitals' symmetry, which made the LP massively degenerate.
    """
    if not model.problem.allow_unmet_demand:
        return
    for (p, k), vials in sorted(total_demand_by_period(model).items()):
        model.unmet[p, k] = model.add_column(f"unmet[{p},{k}]", 0.0, vials)
    model.min_fill_rate = model.add_column("min_fill_rate", 0.0, 1.0)


def add_regime_variables(model: PlanModel) -> None:
    """One binary per regime and period, and a switch-on indicator where a regime starts."""
    problem = model.problem
    if len(problem.regimes) < 2:
        return
    for regime in problem.regimes:
        for t in range(problem.n_periods):
            model.regime[regime.name, t] = model.add_column(
                f"regime[{regime.name},{t}]", 0.0, 1.0, integer=True
            )
            model.regime_start[regime.name, t] = model.add_column(
                f"regime_start[{regime.name},{t}]", 0.0, 1.0
            )


def add_balance_constraints(model: PlanModel) -> None:
    """central[p,k]: released production + central lots + unmet = net demand of all hospitals."""
    problem = model.problem
    demand = total_demand_by_period(model)
    terms: dict[ProductPeriod, list[tuple[int, float]]] = defaultdict(list)
    for (p, k), col in model.unmet.items():
        terms[p, k].append((col, 1.0))
    for (p, _, k), col in model.flow.items():
        terms[p, k].append((col, 1.0))
    for (lot_id, k), col in model.lot_use.items():
        terms[model.lot_product[lot_id], k].append((col, 1.0))
    for (p, k), vials in sorted(demand.items()):
        model.add_row(f"central[{p},{k}]", vials, vials, terms.get((p, k), []))
    for lot in problem.lots:
        cols = [
            (model.lot_use[lot.lot_id, k], 1.0)
            for k in problem.lot_window(lot)
            if (lot.lot_id, k) in model.lot_use
        ]
        if cols:
            model.add_row(f"lot[{lot.lot_id}]", 0.0, lot.quantity_vials, cols)


def add_setup_constraints(model: PlanModel) -> None:
    """lot_size[p,t]: a lot fits in the period; min_batch[p,t]; vub[p,t,k]: x <= D·y.

    The vub rows are the facility-location strengthening, not needed for validity (lot_size
    already forces y = 1 when anything is filled). There is one per arc (8,600 on the regional
    demo) and together they make the LP a hundred times slower, so they are kept in
    `setup_bounds` and added as cuts: all of them (`eager_setup_bounds`, right for the small
    Trigeiro models) or only those the LP relaxation violates (cuts.py).
    """
    problem = model.problem
    demand = total_demand_by_period(model)
    arcs: dict[ProductPeriod, list[tuple[int, int]]] = defaultdict(list)
    for (p, t, k), col in model.flow.items():
        arcs[p, t].append((k, col))
        model.setup_bounds.append((col, model.setup[p, t], demand[p, k], f"vub[{p},{t},{k}]"))
    for (p, t), y in model.setup.items():
        product = problem.product(p)
        lot_terms = [(col, product.line_hours_per_vial) for _, col in arcs[p, t]]
        room = model.max_capacity_hours(t) - model.lot_overhead_hours(p)
        model.add_row(f"lot_size[{p},{t}]", -highspy.kHighsInf, 0.0, [*lot_terms, (y, -room)])
        if product.min_batch_vials > 0:
            batch = [(col, 1.0) for _, col in arcs[p, t]]
            model.add_row(
                f"min_batch[{p},{t}]",
                0.0,
                highspy.kHighsInf,
                [*batch, (y, -product.min_batch_vials)],
            )
        if model.format_used and product.min_batch_vials < 1:
            # lot_min: a lot fills at least one vial (or its window's whole demand if less):
            # a set-up that filled nothing would change the line's format unseen in the plan.
            least = min(1.0, sum(demand[p, k] for k, _ in arcs[p, t]))
            filled = [(col, 1.0) for _, col in arcs[p, t]]
            model.add_row(f"lot_min[{p},{t}]", 0.0, highspy.kHighsInf, [*filled, (y, -least)])


def add_capacity_constraints(model: PlanModel) -> None:
    """capacity[t]: filling + setups + format changeovers <= hours of the regime in force."""
    problem = model.problem
    terms: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (p, t, _), col in model.flow.items():
        terms[t].append((col, problem.product(p).line_hours_per_vial))
    for (p, t), col in model.setup.items():
        product = problem.product(p)
        if product.setup_hours > 0:
            terms[t].append((col, product.setup_hours))
        if model.format_used:
            w = model.format_used[product.vial_format, t]
            model.add_row(f"format_link[{p},{t}]", -highspy.kHighsInf, 0.0, [(col, 1.0), (w, -1.0)])
    for (_, t), col in model.format_used.items():
        terms[t].append((col, problem.format_change_hours))
    for (_, t), col in model.format_carry.items():
        terms[t].append((col, -problem.format_change_hours))
    for (_, t), col in model.format_prepared.items():
        terms[t].append((col, problem.format_change_hours))
    for t in range(problem.n_periods):
        if model.regime:
            row = terms[t] + [
                (model.regime[r.name, t], -r.capacity_hours[t]) for r in problem.regimes
            ]
            model.capacity_row[t] = model.add_row(f"capacity[{t}]", -highspy.kHighsInf, 0.0, row)
        elif terms[t]:
            hours = problem.regimes[0].capacity_hours[t]
            model.capacity_row[t] = model.add_row(
                f"capacity[{t}]", -highspy.kHighsInf, hours, terms[t]
            )


def add_regime_constraints(model: PlanModel) -> None:
    """One regime per period; a start where a regime begins; minimum durations."""
    problem = model.problem
    if not model.regime:
        return
    initial = problem.regimes[0].name
    for t in range(problem.n_periods):
        model.add_row(
            f"one_regime[{t}]", 1.0, 1.0, [(model.regime[r.name, t], 1.0) for r in problem.regimes]
        )
    for regime in problem.regimes:
        r = regime.name
        for t in range(problem.n_periods):
            z, start = model.regime[r, t], model.regime_start[r, t]
            if t == 0:
                before = 1.0 if r == initial else 0.0
                model.add_row(
                    f"regime_start[{r},0]", -highspy.kHighsInf, before, [(z, 1.0), (start, -1.0)]
                )
            else:
                prev = model.regime[r, t - 1]
                model.add_row(
                    f"regime_start[{r},{t}]",
                    -highspy.kHighsInf,
                    0.0,
                    [(z, 1.0), (prev, -1.0), (start, -1.0)],
                )
            if regime.min_duration_periods > 1:
                window = range(max(0, t - regime.min_duration_periods + 1), t + 1)
                row = [(model.regime_start[r, tau], 1.0) for tau in window] + [(z, -1.0)]
                model.add_row(f"min_duration[{r},{t}]", -highspy.kHighsInf, 0.0, row)


def add_fill_rate_constraints(model: PlanModel) -> None:
    """fill[p,h]: sum_k share[h,p,k]·unmet[p,k] + lambda·D[h,p] <= D[h,p].

    share[h,p,k] = net demand of h ÷ net demand of all hospitals for p in k, so the row says
    that the fill rate of hospital h for product p over the horizon is at least lambda. Own
    stock counts as served.
    """
    if model.min_fill_rate is None:
        return
    totals = total_demand_by_period(model)
    for (h, p), series in sorted(model.problem.demand.items()):
        total = sum(series)
        if total <= 0:
            continue
        net = model.net_demand[h, p]
        row = [
            (model.unmet[p, k], net[k] / totals[p, k])
            for k in range(len(net))
            if net[k] > 0 and (p, k) in model.unmet
        ]
        model.add_row(
            f"fill[{p},{h}]", -highspy.kHighsInf, total, [*row, (model.min_fill_rate, total)]
        )


def set_objective(model: PlanModel) -> None:
    """The lexicographic objectives, each as a cost vector to minimise."""
    problem = model.problem
    fairness: dict[int, float] = {}
    if model.min_fill_rate is not None:
        fairness[model.min_fill_rate] = -1.0
    shortage = {col: float(problem.product(p).criticality) for (p, _), col in model.unmet.items()}
    cost: dict[int, float] = {}
    for (p, _), col in model.setup.items():
        cost[col] = problem.product(p).setup_cost
    for (p, t, k), col in model.flow.items():
        cost[col] = problem.product(p).holding_cost_per_vial_period * (k - t)
    for regime in problem.regimes:
        for t in range(problem.n_periods):
            if (regime.name, t) in model.regime:
                cost[model.regime[regime.name, t]] = regime.cost_per_period
                cost[model.regime_start[regime.name, t]] = regime.switch_on_cost
    model.objectives = {
        "fairness": fairness,
        "shortage": shortage,
        "expiry": expiry_objective(model),
        "cost": cost,
    }


def expiry_objective(model: PlanModel) -> dict[int, float]:
    """Minimise the central vials that expire unused: -1 per vial used of an expiring lot.

    Only central lots: each hospital's own lots are used first-expiry-first-out before the
    MIP, which already wastes the least of them. Empty when no central lot expires in the
    horizon, and then the stage is skipped.
    """
    problem = model.problem
    expiring = {
        lot.lot_id
        for lot in problem.lots
        if lot.location == CENTRAL and expires_in_horizon(problem, lot)
    }
    model.expiring_vials = sum(lot.quantity_vials for lot in problem.lots if lot.lot_id in expiring)
    return {col: -1.0 for (lot_id, _), col in model.lot_use.items() if lot_id in expiring}


def build_model(problem: PlanningProblem) -> PlanModel:
    model = PlanModel(problem)
    model.net_demand, model.own_stock_uses = fefo_own_stock(problem)
    model.lot_product = {lot.lot_id: lot.product for lot in problem.lots}
    add_production_variables(model)
    add_supply_variables(model)
    add_allocation_variables(model)
    add_regime_variables(model)
    add_format_variables(model)
    add_balance_constraints(model)
    add_setup_constraints(model)
    add_capacity_constraints(model)
    add_format_constraints(model)
    add_regime_constraints(model)
    add_fill_rate_constraints(model)
    add_regime_filling_constraints(model)
    set_objective(model)
    return model


def to_highs(
    model: PlanModel, objective: str = "cost", with_setup_bounds: bool = True
) -> highspy.Highs:
    """Load the model into a silent HiGHS instance with the named objective.

    `with_setup_bounds=False` leaves out the vub rows, to be added as cuts (cuts.py).
    """
    h = new_highs()
    n = model.n_columns
    cost = np.zeros(n)
    for col, coef in model.objectives[objective].items():
        cost[col] = coef
    h.addCols(
        n,
        cost,
        np.array(model.col_lower),
        np.array(model.col_upper),
        0,
        np.array([], dtype=np.int32),
        np.array([], dtype=np.int32),
        np.array([]),
    )
    integer = np.array([i for i, flag in enumerate(model.col_integer) if flag], dtype=np.int32)
    if len(integer):
        h.changeColsIntegrality(
            len(integer), integer, np.full(len(integer), highspy.HighsVarType.kInteger)
        )
    starts = np.cumsum([0] + [len(r) for r in model.row_index[:-1]]).astype(np.int32)
    index = np.array([i for r in model.row_index for i in r], dtype=np.int32)
    value = np.array([v for r in model.row_value for v in r])
    h.addRows(
        len(model.row_names),
        np.array(model.row_lower),
        np.array(model.row_upper),
        len(index),
        starts,
        index,
        value,
    )
    for i, name in enumerate(model.col_names):
        h.passColName(i, name)
    for i, name in enumerate(model.row_names):
        h.passRowName(i, name)
    if with_setup_bounds and model.setup_bounds:
        n_rows = len(model.setup_bounds)
        idx = np.array([i for x, y, _, _ in model.setup_bounds for i in (x, y)], dtype=np.int32)
        val = np.array([v for _, _, d, _ in model.setup_bounds for v in (1.0, -d)])
        starts = np.arange(0, 2 * n_rows, 2, dtype=np.int32)
        first = h.getNumRow()
        h.addRows(
            n_rows,
            np.full(n_rows, -highspy.kHighsInf),
            np.zeros(n_rows),
            len(idx),
            starts,
            idx,
            val,
        )
        for i, (_, _, _, name) in enumerate(model.setup_bounds):
            h.passRowName(first + i, name)
    return h
