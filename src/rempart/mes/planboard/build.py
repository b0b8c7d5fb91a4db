"""Build a planning problem (`rempart.planning`, format `rempart-planning-problem/1`) from
the database.

What is read, per hospital × product (docs/planning-board.md has the rules with examples):

- **demand**: the shortage watch's consumption forecasts; for each day of the horizon the
  latest-entered forecast covering that day (as `rempart.mes.supply.cover` does), × period;
- **hospital stock**: the latest stock count of the watch, projected to the first day
  (`cover.project`), released vials on hand, quarantine vials from their expected release;
- **central stock**: the stock app's lots (`rempart.mes.stock.models.Lot`): released lots
  until their expiry date, quarantine lots from their expected release date;
- **batches already running** (scheduled, in line clearance, filling, filled, or further on
  without a lot yet) are fixed: they are not planned again, their vials count as quarantine
  supply released after the product's QC lead time, and their line hours are taken off the
  capacity of their day;
- **industry deliveries** from the current ANSM status of the product's molecule (the worst
  status of its MITM specialties): rupture or discontinued → 0; tension → `tension_share` ×
  the regional demand of each day; otherwise (no status, back in supply) → the whole demand;
- **capacity** per regime in vials per day, from a user figure or the P50 of good vials of
  `rempart twin montecarlo --json` (pasted); converted to line hours at the run rate.

`build_problem` raises `Refused` naming the field or product at fault and changes nothing.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q

from rempart.domain import json_text
from rempart.domain.batch import BatchState
from rempart.domain.lot import LotStatus
from rempart.domain.master_record import MasterRecordState
from rempart.mes.batches.models import Batch
from rempart.mes.catalog.models import Hospital, MasterRecord, Product
from rempart.mes.core.errors import Refused
from rempart.mes.stock.models import Lot
from rempart.mes.supply.cover import project
from rempart.mes.supply.models import ConsumptionForecast, StockSnapshot
from rempart.mes.supply.services import current_supply
from rempart.planning.io import problem_to_dict
from rempart.planning.problem import (
    CENTRAL,
    MAX_VALUE,
    PlanHospital,
    PlanningProblem,
    PlanningProblemError,
    PlanProduct,
    Regime,
    StockLot,
    hours_from_vials,
)
from rempart.shortage.bdpm import SupplyStatus
from rempart.shortage.coverage import QuarantineLot

#: Batches whose lots are fixed input to a re-plan: on the line's schedule or further on, with
#: no stock lot yet (a lot, once opened, is read from the stock app instead).
RUNNING_STATES = frozenset(
    {
        BatchState.SCHEDULED,
        BatchState.LINE_CLEARANCE,
        BatchState.FILLING,
        BatchState.FILLED,
        BatchState.QUARANTINE,
        BatchState.UNDER_REVIEW,
    }
)
#: Batches that have been on the line: the last one set the line's vial format.
ON_LINE_STATES = frozenset(BatchState) - {
    BatchState.PLANNED,
    BatchState.SCHEDULED,
    BatchState.CANCELLED,
}
#: Central stock lots planning may count on.
USABLE_LOT_STATUSES = frozenset({LotStatus.RELEASED, LotStatus.QUARANTINE})
#: Industry delivery as a share of demand, by the molecule's worst current ANSM status.
NO_DELIVERY = frozenset({SupplyStatus.RUPTURE, SupplyStatus.DISCONTINUED})


#: The range of plan start dates: records begin after 2000, and a plan beyond 2999 is a typo.
EARLIEST_START = date(2000, 1, 1)
LATEST_START = date(2999, 12, 31)


@dataclass(frozen=True, slots=True)
class BoardParameters:
    """The planner's figures (the form, or the API body). Capacities are vials per day."""

    start: date
    days: int = 28
    normal_vials_per_day: float = 0.0
    normal_source: str = ""
    crisis_vials_per_day: float | None = None
    crisis_source: str = ""
    normal_weekends: bool = False
    run_rate_vials_per_hour: float = 330.0
    tension_share: float = 0.5
    setup_hours: float = 3.0
    format_change_hours: float = 1.0
    #: A day may end with a format change, after its lots, for a later day (decision 0016).
    prepare_next_format: bool = False
    min_batch_vials: float = 200.0
    min_residual_days: float = 30.0
    setup_cost: float = 400.0
    holding_cost_per_vial_day: float = 0.01
    crisis_cost_per_day: float = 6000.0
    crisis_switch_on_cost: float = 15000.0
    crisis_min_days: int = 7
    time_limit_s: float = 30.0

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 120:
            raise Refused("plan 1 to 120 days", field="days")
        if not EARLIEST_START <= self.start <= LATEST_START:
            # 9999-12-31 overflowed the calendar while the demand was read (an error 500).
            raise Refused(
                f"a date from {EARLIEST_START.isoformat()} to {LATEST_START.isoformat()}",
                field="start",
            )
        checks: list[tuple[str, float, float]] = [
            ("normal_vials_per_day", self.normal_vials_per_day, 0.0),
            ("run_rate_vials_per_hour", self.run_rate_vials_per_hour, 1e-9),
            ("setup_hours", self.setup_hours, 0.0),
            ("format_change_hours", self.format_change_hours, 0.0),
            ("min_batch_vials", self.min_batch_vials, 0.0),
            ("min_residual_days", self.min_residual_days, 0.0),
            ("setup_cost", self.setup_cost, 0.0),
            ("holding_cost_per_vial_day", self.holding_cost_per_vial_day, 0.0),
            ("crisis_cost_per_day", self.crisis_cost_per_day, 0.0),
            ("crisis_switch_on_cost", self.crisis_switch_on_cost, 0.0),
            ("time_limit_s", self.time_limit_s, 1.0),
        ]
        if self.crisis_vials_per_day is not None:
            checks.append(("crisis_vials_per_day", self.crisis_vials_per_day, 0.0))
        for name, value, low in checks:
            if not math.isfinite(value) or value < low:
                raise Refused(f"must be a number of at least {low:g}", field=name)
            if value > MAX_VALUE:
                raise Refused(f"must be at most {MAX_VALUE:.0e}", field=name)
        if self.time_limit_s > 600:
            raise Refused("at most 600 s", field="time_limit_s")
        if not 0 <= self.tension_share <= 1:
            raise Refused("a share between 0 and 1", field="tension_share")
        if self.crisis_min_days < 1:
            raise Refused("at least 1 day", field="crisis_min_days")
        if self.normal_vials_per_day > 0 and not self.normal_source.strip():
            raise Refused("say where the figure comes from", field="normal_source")
        if self.crisis_vials_per_day is not None and not self.crisis_source.strip():
            raise Refused("say where the figure comes from", field="crisis_source")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        return data


def p50_from_montecarlo(text: str, field: str) -> tuple[float, str]:
    """The P50 of good vials from `rempart twin montecarlo --json` output, and its source."""
    try:
        data = json_text.loads(text)
    except json.JSONDecodeError as exc:
        raise Refused(
            f"not the JSON of rempart twin montecarlo --json (line {exc.lineno}: {exc.msg})",
            field=field,
        ) from None
    p50 = data.get("vials_good", {}).get("p50") if isinstance(data, dict) else None
    if not isinstance(p50, int | float) or isinstance(p50, bool) or p50 < 0:
        raise Refused("no vials_good.p50 figure in this JSON", field=field)
    scenario = data.get("scenario", "?")
    runs = data.get("runs", "?")
    return float(p50), f"twin Monte Carlo P50 of good vials ({scenario}, {runs} runs)"


@dataclass(frozen=True, slots=True)
class BuiltProblem:
    problem: PlanningProblem
    document: dict[str, Any]
    notes: tuple[str, ...]
    fixed_batches: tuple[str, ...]


def _days(start: date, day: date) -> int:
    return (day - start).days


def _demand(
    start: date, days: int
) -> tuple[dict[tuple[int, int], list[float]], dict[int, Hospital], dict[int, Product]]:
    end = start + timedelta(days=days - 1)
    rows = list(
        ConsumptionForecast.objects.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=start), valid_from__lte=end
        )
        .select_related("hospital", "product")
        .order_by("entered_at", "pk")
    )
    series: dict[tuple[int, int], list[float]] = {}
    hospitals: dict[int, Hospital] = {}
    products: dict[int, Product] = {}
    for forecast in rows:  # later entries overwrite earlier ones day by day
        key = (forecast.hospital_id, forecast.product_id)
        values = series.setdefault(key, [0.0] * days)
        for t in range(days):
            day = start + timedelta(days=t)
            if forecast.valid_from <= day and (
                forecast.valid_until is None or day <= forecast.valid_until
            ):
                values[t] = float(forecast.vials_per_day)
        hospitals[forecast.hospital_id] = forecast.hospital
        products[forecast.product_id] = forecast.product
    kept = {k: v for k, v in series.items() if any(x > 0 for x in v)}
    return (
        kept,
        {h: hospitals[h] for h, _ in kept},
        {p: products[p] for _, p in kept},
    )


def _approved_record(product: Product) -> MasterRecord | None:
    return (
        MasterRecord.objects.filter(product=product, state=MasterRecordState.APPROVED.value)
        .order_by("-version")
        .first()
    )


def build_problem(params: BoardParameters) -> BuiltProblem:
    """The planning problem for `params.days` daily periods from `params.start`."""
    start, n = params.start, params.days
    notes: list[str] = []
    demand_ids, hospitals, products = _demand(start, n)
    if not demand_ids:
        raise Refused(
            f"no consumption forecast covers {start.isoformat()} … "
            f"{(start + timedelta(days=n - 1)).isoformat()}: enter forecasts on the "
            "shortage watch's Forecasts and stock page",
            field="forecasts",
        )
    unmakeable = sorted(p.code for p in products.values() if _approved_record(p) is None)
    if unmakeable:
        raise Refused(
            f"no approved master record for {', '.join(unmakeable)}: the line cannot make "
            "it; approve a version or end its forecasts",
            field="products",
        )
    if params.normal_vials_per_day <= 0 and not params.crisis_vials_per_day:
        raise Refused(
            "give the line's capacity: a figure or the twin's Monte Carlo JSON",
            field="normal_vials_per_day",
        )
    labels = tuple((start + timedelta(days=t)).isoformat() for t in range(n))
    by_code = {p.code: p for p in products.values()}
    plan_products: list[PlanProduct] = []
    for product in sorted(products.values(), key=lambda p: p.code):
        try:
            plan_products.append(
                PlanProduct(
                    code=product.code,
                    criticality=min(5, max(1, product.criticality)),
                    line_hours_per_vial=1.0 / params.run_rate_vials_per_hour,
                    setup_hours=params.setup_hours,
                    vial_format=product.vial_format.code,
                    qc_lead_time_days=float(product.qc_lead_time_days),
                    shelf_life_days=float(product.shelf_life_days),
                    min_residual_days=params.min_residual_days,
                    min_batch_vials=params.min_batch_vials,
                    setup_cost=params.setup_cost,
                    holding_cost_per_vial_period=params.holding_cost_per_vial_day,
                )
            )
        except PlanningProblemError as exc:
            raise Refused(f"{product.code}: {exc.message}", field="min_residual_days") from None
    demand = {
        (hospitals[h].code, products[p].code): tuple(series)
        for (h, p), series in sorted(
            demand_ids.items(), key=lambda kv: (hospitals[kv[0][0]].code, products[kv[0][1]].code)
        )
    }
    lots: list[StockLot] = []
    # Hospital stock: the latest count per hospital × product, projected to the first day.
    latest: dict[tuple[int, int], StockSnapshot] = {}
    for snap in StockSnapshot.objects.filter(counted_on__lte=start).order_by(
        "counted_on", "entered_at", "pk"
    ):
        latest[(snap.hospital_id, snap.product_id)] = snap
    for (h, p), snap in sorted(latest.items()):
        if h not in hospitals or p not in products:
            continue
        hospital, product = hospitals[h], products[p]
        pending = (
            [QuarantineLot(snap.quarantine_vials, snap.quarantine_release_date)]
            if snap.quarantine_vials and snap.quarantine_release_date
            else []
        )
        daily = demand_ids.get((h, p), [0.0])[0]
        released, pending = project(snap.released_vials, pending, daily, snap.counted_on, start)
        if released > 0:
            lots.append(
                StockLot(
                    f"count:{hospital.code}:{product.code}",
                    product.code,
                    released,
                    hospital.code,
                    0.0,
                    None,
                    "on_hand",
                )
            )
        for i, q in enumerate(pending):
            lots.append(
                StockLot(
                    f"count:{hospital.code}:{product.code}:q{i}",
                    product.code,
                    q.vials,
                    hospital.code,
                    float(max(0, _days(start, q.release_date))),
                    None,
                    "quarantine",
                )
            )
    # Central stock: the stock app's released and quarantine lots.
    for lot in Lot.objects.select_related("batch__product").filter(
        status__in=[s.value for s in USABLE_LOT_STATUSES], batch__product__in=products.values()
    ):
        product = lot.batch.product
        expiry = lot.expiry_date or lot.fill_date + timedelta(days=product.shelf_life_days)
        if lot.status == LotStatus.RELEASED.value:
            release_day = 0.0
            kind = "on_hand"
        else:
            expected = lot.expected_release_date or lot.fill_date + timedelta(
                days=product.qc_lead_time_days
            )
            release_day = float(max(0, _days(start, expected)))
            kind = "quarantine"
        if _days(start, expiry) <= 0:
            notes.append(f"lot {lot.lot_number} ({product.code}) expires before the horizon")
            continue
        lots.append(
            StockLot(
                f"lot:{lot.lot_number}",
                product.code,
                float(lot.quantity_vials),
                CENTRAL,
                release_day,
                float(_days(start, expiry)),
                kind,
            )
        )
    # Batches already running: fixed supply, and their hours off the capacity of their day.
    used_hours = [0.0] * n
    fixed: list[str] = []
    running = (
        Batch.objects.select_related("product")
        .filter(state__in=[s.value for s in RUNNING_STATES], product__in=products.values())
        .filter(lot__isnull=True)
        .order_by("planned_start", "batch_number")
    )
    for batch in running:
        product = batch.product
        filled = batch.planned_start.date()
        t = _days(start, filled)
        if 0 <= t < n and batch.state in (
            BatchState.SCHEDULED,
            BatchState.LINE_CLEARANCE,
            BatchState.FILLING,
        ):
            used_hours[t] += (
                batch.quantity_vials / params.run_rate_vials_per_hour + params.setup_hours
            )
        release = filled + timedelta(days=product.qc_lead_time_days)
        lots.append(
            StockLot(
                f"batch:{batch.batch_number}",
                product.code,
                float(batch.quantity_vials),
                CENTRAL,
                float(max(0, _days(start, release))),
                float(_days(start, filled + timedelta(days=product.shelf_life_days))),
                "quarantine",
            )
        )
        fixed.append(batch.batch_number)
    if fixed:
        notes.append(f"{len(fixed)} running batch(es) kept as they are: {', '.join(fixed)}")
    initial_format = _line_format(notes, {p.vial_format for p in plan_products})
    # Industry deliveries from the shortage status.
    supply = current_supply()
    for code, product in sorted(by_code.items()):
        molecule = supply.get(product.molecule.inn)
        worst = molecule.worst if molecule else None
        if worst in NO_DELIVERY:
            share, why = 0.0, f"{worst.label_fr if worst else ''}: no delivery"
        elif worst is SupplyStatus.TENSION:
            share = params.tension_share
            why = f"{worst.label_fr}: {share:.0%} of demand delivered"
        else:
            share, why = 1.0, "no shortage reported: the whole demand delivered"
        notes.append(f"{code}: industry supply — {why}")
        if share <= 0:
            continue
        for t in range(n):
            regional = sum(series[t] for (_, p), series in demand.items() if p == code)
            if regional * share > 0:
                lots.append(
                    StockLot(
                        f"delivery:{code}:{t}",
                        code,
                        round(regional * share, 3),
                        CENTRAL,
                        float(t),
                        None,
                        "delivery",
                    )
                )
    # Regimes.
    days_list = [start + timedelta(days=t) for t in range(n)]
    regimes: list[Regime] = []

    def hours(vials: float, every_day: bool) -> tuple[float, ...]:
        per_day = hours_from_vials(
            tuple(vials if every_day or d.weekday() < 5 else 0.0 for d in days_list),
            params.run_rate_vials_per_hour,
        )
        return tuple(max(0.0, h - used) for h, used in zip(per_day, used_hours, strict=True))

    regimes.append(
        Regime(
            "normal",
            hours(params.normal_vials_per_day, params.normal_weekends),
            capacity_source=(params.normal_source or "user figure: the line stopped")
            + f"; {params.normal_vials_per_day:g} vials/day"
            + ("" if params.normal_weekends else " Mon–Fri"),
        )
    )
    if params.crisis_vials_per_day is not None:
        regimes.append(
            Regime(
                "crisis",
                hours(params.crisis_vials_per_day, True),
                capacity_source=f"{params.crisis_source}; {params.crisis_vials_per_day:g} "
                "vials/day, 24/7",
                cost_per_period=params.crisis_cost_per_day,
                switch_on_cost=params.crisis_switch_on_cost,
                min_duration_periods=params.crisis_min_days,
            )
        )
    try:
        problem = PlanningProblem(
            name=f"planning board {start.isoformat()} ({n} days)",
            description="built from the MES database by the planning board",
            period_days=1.0,
            period_labels=labels,
            products=tuple(plan_products),
            hospitals=tuple(
                PlanHospital(h.code, h.name)
                for h in sorted(hospitals.values(), key=lambda h: h.code)
            ),
            demand=demand,
            regimes=tuple(regimes),
            lots=tuple(lots),
            format_change_hours=params.format_change_hours,
            initial_vial_format=initial_format,
            prepare_next_format=params.prepare_next_format,
        )
    except PlanningProblemError as exc:
        raise Refused(str(exc), field=exc.field or exc.product or "problem") from None
    return BuiltProblem(problem, problem_to_dict(problem), tuple(notes), tuple(fixed))


def _line_format(notes: list[str], formats: set[str]) -> str | None:
    """The vial format of the batch the line last ran (by planned start), if planning knows it.

    A period that starts in it needs no format change. None when no batch has run yet, or
    when its format is none of the planned products' (the first change is then not charged).
    """
    last = (
        Batch.objects.select_related("product__vial_format")
        .filter(state__in=[s.value for s in ON_LINE_STATES])
        .order_by("-planned_start", "-batch_number")
        .first()
    )
    if last is None:
        return None
    code = last.product.vial_format.code
    if code not in formats:
        notes.append(
            f"the line is set up for {code} (batch {last.batch_number}), no product's format"
        )
        return None
    notes.append(f"the line is set up for vial format {code} (batch {last.batch_number})")
    return str(code)
