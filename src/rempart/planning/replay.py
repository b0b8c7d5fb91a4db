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

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from rempart.domain.catalog import demo_products
from rempart.domain.region import HAUTS_DE_FRANCE
from rempart.planning.plan import Plan, Status
from rempart.planning.problem import (
    CENTRAL,
    PlanHospital,
    PlanningProblem,
    PlanProduct,
    Regime,
    StockLot,
)
from rempart.planning.rationing import RationRequest, ration
from rempart.planning.solve import SolveOptions, solve

FORMAT = "rempart-scenario/1"
REGIONS = {"hauts-de-france": HAUTS_DE_FRANCE}


class ScenarioError(ValueError):
    """A scenario file is malformed. The message names the file and the field (or line)."""

    def __init__(self, source: str, where: str, problem: str) -> None:
        self.source = source
        self.where = where
        self.problem = problem
        super().__init__(f"{source}: {where}: {problem}")


# --------------------------------------------------------------------------------------------
# The scenario as validated dataclasses
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Curve:
    """A multiplier by date, linear between points, flat before the first and after the last."""

    points: tuple[tuple[date, float], ...]

    def at(self, day: date) -> float:
        first, last = self.points[0], self.points[-1]
        if day <= first[0]:
            return first[1]
        if day >= last[0]:
            return last[1]
        for (d0, v0), (d1, v1) in zip(self.points, self.points[1:], strict=False):
            if d0 <= day <= d1:
                return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    surge: Curve
    deliveries: Curve


@dataclass(frozen=True, slots=True)
class ScenarioProduct:
    code: str
    group: str
    vials_per_patient_day: float


@dataclass(frozen=True, slots=True)
class ScenarioRegime:
    name: str
    vials_per_day: float
    weekdays: tuple[int, ...]
    cost_per_day_eur: float
    switch_on_cost_eur: float
    min_duration_days: int
    notes: str


@dataclass(frozen=True, slots=True)
class LineSettings:
    run_rate_vials_per_hour: float
    setup_hours: float
    format_change_hours: float
    qc_lead_time_days: int
    shelf_life_days: int
    min_residual_days: int
    min_batch_vials: float
    setup_cost_eur: float
    holding_cost_eur_per_vial_day: float


@dataclass(frozen=True, slots=True)
class Scenario:
    """A crisis scenario. Every figure comes from the file, with its notes (docs/scenarios.md)."""

    name: str
    title: str
    description: str
    source: str
    start: date
    days: int
    region: str
    icu_occupancy: float
    products: tuple[ScenarioProduct, ...]
    groups: dict[str, Group]
    actual_sigma: float
    forecast_sigma: float
    hospital_stock_days: float
    central_stock_days: float
    stock_expiry_days: int
    delivery_weekday: int
    delivery_days: float
    delivery_expiry_days: int
    line: LineSettings
    regimes: tuple[ScenarioRegime, ...]
    horizon_days: int
    time_limit_s: float
    mip_rel_gap: float
    ration_lookahead_days: int
    quick_days: int
    quick_products: tuple[str, ...]
    quick_horizon_days: int
    quick_time_limit_s: float

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def quick(self) -> Scenario:
        """The short variant of the file's `quick` block (tests, `--quick`)."""
        return replace(
            self,
            days=self.quick_days,
            products=tuple(p for p in self.products if p.code in self.quick_products),
            horizon_days=self.quick_horizon_days,
            time_limit_s=self.quick_time_limit_s,
        )

    def with_days(self, days: int) -> Scenario:
        if days < 1:
            raise ScenarioError(self.source, "--days", f"must be at least 1, got {days}")
        return replace(self, days=days)


class _Reader:
    """Typed access to a JSON document that names the JSON path of anything wrong."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> ScenarioError:
        return ScenarioError(self.source, where, problem)

    def obj(self, parent: dict[str, Any], key: str, path: str) -> dict[str, Any]:
        value = self.get(parent, key, path)
        if not isinstance(value, dict):
            raise self.fail(f"{path}.{key}", f"must be an object, got {type(value).__name__}")
        return value

    def get(self, parent: dict[str, Any], key: str, path: str) -> Any:
        if key not in parent:
            raise self.fail(f"{path}.{key}", "is required")
        return parent[key]

    def only(self, table: dict[str, Any], allowed: Sequence[str], path: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(
                    f"{path}.{key}", f"unknown key; expected one of {', '.join(allowed)}"
                )

    def text(self, parent: dict[str, Any], key: str, path: str) -> str:
        value = self.get(parent, key, path)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{path}.{key}", "must be a non-empty string")
        return value

    def notes(self, parent: dict[str, Any], key: str, path: str) -> str:
        """Every block of numbers must say where they come from."""
        if key not in parent:
            raise self.fail(
                f"{path}.{key}", "is required: say where each number comes from or mark it [A]"
            )
        return self.text(parent, key, path)

    def number(
        self,
        parent: dict[str, Any],
        key: str,
        path: str,
        *,
        minimum: float = 0.0,
        exclusive: bool = False,
        maximum: float | None = None,
        integer: bool = False,
    ) -> float:
        value = self.get(parent, key, path)
        return self.value(
            value,
            f"{path}.{key}",
            minimum=minimum,
            exclusive=exclusive,
            maximum=maximum,
            integer=integer,
        )

    def value(
        self,
        value: Any,
        where: str,
        *,
        minimum: float = 0.0,
        exclusive: bool = False,
        maximum: float | None = None,
        integer: bool = False,
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"must be a number, got {json.dumps(value)}")
        if not math.isfinite(value):
            raise self.fail(where, "must be finite")
        if integer and value != int(value):
            raise self.fail(where, f"must be a whole number, got {value}")
        if value < minimum or (exclusive and value == minimum):
            relation = ">" if exclusive else ">="
            raise self.fail(where, f"must be {relation} {minimum:g}, got {value:g}")
        if maximum is not None and value > maximum:
            raise self.fail(where, f"must be <= {maximum:g}, got {value:g}")
        return float(value)

    def day(self, value: Any, where: str) -> date:
        if not isinstance(value, str):
            raise self.fail(where, f"must be an ISO date (YYYY-MM-DD), got {json.dumps(value)}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(where, f"not an ISO date (YYYY-MM-DD): {value!r}") from None

    def curve(self, parent: dict[str, Any], key: str, path: str) -> Curve:
        raw = self.get(parent, key, path)
        where = f"{path}.{key}"
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, "must be a non-empty list of [date, multiplier] pairs")
        points: list[tuple[date, float]] = []
        for i, point in enumerate(raw):
            if not isinstance(point, list) or len(point) != 2:
                raise self.fail(f"{where}[{i}]", "must be a [date, multiplier] pair")
            day = self.day(point[0], f"{where}[{i}][0]")
            if points and day <= points[-1][0]:
                raise self.fail(f"{where}[{i}][0]", f"{day} is not after {points[-1][0]}")
            points.append((day, self.value(point[1], f"{where}[{i}][1]")))
        return Curve(tuple(points))


_TOP = (
    "format",
    "name",
    "title",
    "description",
    "start",
    "days",
    "notes",
    "region",
    "products",
    "products_notes",
    "groups",
    "demand_noise",
    "stock",
    "supply",
    "line",
    "regimes",
    "planning",
    "quick",
)


def parse_scenario(text: str, *, source: str) -> Scenario:
    """Validate a scenario document; a bad one raises `ScenarioError` naming the field/line."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            source, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from None
    r = _Reader(source)
    if not isinstance(doc, dict):
        raise r.fail("$", "a scenario is a JSON object")
    r.only(doc, _TOP, "$")
    if doc.get("format") != FORMAT:
        raise r.fail("$.format", f"must be {FORMAT!r}, got {json.dumps(doc.get('format'))}")
    r.notes(doc, "notes", "$")
    start = r.day(r.get(doc, "start", "$"), "$.start")
    days = int(r.number(doc, "days", "$", minimum=1, integer=True))

    region_doc = r.obj(doc, "region", "$")
    r.only(region_doc, ("code", "icu_occupancy", "notes"), "$.region")
    region = r.text(region_doc, "code", "$.region")
    if region not in REGIONS:
        raise r.fail("$.region.code", f"unknown region {region!r}; known: {', '.join(REGIONS)}")
    occupancy = r.number(region_doc, "icu_occupancy", "$.region", exclusive=True, maximum=1.0)
    r.notes(region_doc, "notes", "$.region")

    groups_doc = r.obj(doc, "groups", "$")
    groups: dict[str, Group] = {}
    for name, group in groups_doc.items():
        path = f"$.groups.{name}"
        if not isinstance(group, dict):
            raise r.fail(path, "must be an object")
        r.only(group, ("surge", "surge_notes", "deliveries", "deliveries_notes"), path)
        groups[name] = Group(
            name, r.curve(group, "surge", path), r.curve(group, "deliveries", path)
        )
        r.notes(group, "surge_notes", path)
        r.notes(group, "deliveries_notes", path)

    catalog = {p.code for p in demo_products()}
    raw_products = r.get(doc, "products", "$")
    if not isinstance(raw_products, list) or not raw_products:
        raise r.fail("$.products", "must be a non-empty list")
    r.notes(doc, "products_notes", "$")
    products: list[ScenarioProduct] = []
    for i, item in enumerate(raw_products):
        path = f"$.products[{i}]"
        if not isinstance(item, dict):
            raise r.fail(path, "must be an object")
        r.only(item, ("code", "group", "vials_per_patient_day"), path)
        code = r.text(item, "code", path)
        if code not in catalog:
            raise r.fail(f"{path}.code", f"{code!r} is not in the catalogue ({len(catalog)} known)")
        if any(p.code == code for p in products):
            raise r.fail(f"{path}.code", f"duplicate product {code!r}")
        group = r.text(item, "group", path)
        if group not in groups:
            raise r.fail(f"{path}.group", f"unknown group {group!r}; known: {', '.join(groups)}")
        products.append(ScenarioProduct(code, group, r.number(item, "vials_per_patient_day", path)))

    noise = r.obj(doc, "demand_noise", "$")
    r.only(noise, ("actual_sigma", "forecast_sigma", "notes"), "$.demand_noise")
    r.notes(noise, "notes", "$.demand_noise")
    stock = r.obj(doc, "stock", "$")
    r.only(stock, ("hospital_days", "central_days", "expiry_days", "notes"), "$.stock")
    r.notes(stock, "notes", "$.stock")
    supply = r.obj(doc, "supply", "$")
    r.only(supply, ("delivery_weekday", "delivery_days", "expiry_days", "notes"), "$.supply")
    r.notes(supply, "notes", "$.supply")

    line_doc = r.obj(doc, "line", "$")
    line_keys = (*LineSettings.__dataclass_fields__, "notes")
    r.only(line_doc, line_keys, "$.line")
    r.notes(line_doc, "notes", "$.line")
    line = LineSettings(
        run_rate_vials_per_hour=r.number(
            line_doc, "run_rate_vials_per_hour", "$.line", exclusive=True
        ),
        setup_hours=r.number(line_doc, "setup_hours", "$.line"),
        format_change_hours=r.number(line_doc, "format_change_hours", "$.line"),
        qc_lead_time_days=int(r.number(line_doc, "qc_lead_time_days", "$.line", integer=True)),
        shelf_life_days=int(
            r.number(line_doc, "shelf_life_days", "$.line", minimum=1, integer=True)
        ),
        min_residual_days=int(r.number(line_doc, "min_residual_days", "$.line", integer=True)),
        min_batch_vials=r.number(line_doc, "min_batch_vials", "$.line"),
        setup_cost_eur=r.number(line_doc, "setup_cost_eur", "$.line"),
        holding_cost_eur_per_vial_day=r.number(line_doc, "holding_cost_eur_per_vial_day", "$.line"),
    )
    if line.shelf_life_days - line.min_residual_days < line.qc_lead_time_days:
        raise r.fail(
            "$.line.shelf_life_days",
            "shelf life minus minimum residual is shorter than the QC lead time",
        )

    raw_regimes = r.get(doc, "regimes", "$")
    if not isinstance(raw_regimes, list) or not raw_regimes:
        raise r.fail("$.regimes", "must be a non-empty list (the first is in force on day 0)")
    regimes: list[ScenarioRegime] = []
    for i, item in enumerate(raw_regimes):
        path = f"$.regimes[{i}]"
        if not isinstance(item, dict):
            raise r.fail(path, "must be an object")
        r.only(item, (*ScenarioRegime.__dataclass_fields__,), path)
        weekdays = r.get(item, "weekdays", path)
        if not isinstance(weekdays, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in weekdays
        ):
            raise r.fail(f"{path}.weekdays", "must be a list of weekdays 0 (Monday) .. 6 (Sunday)")
        name = r.text(item, "name", path)
        if any(g.name == name for g in regimes):
            raise r.fail(f"{path}.name", f"duplicate regime {name!r}")
        regimes.append(
            ScenarioRegime(
                name=name,
                vials_per_day=r.number(item, "vials_per_day", path),
                weekdays=tuple(sorted(set(weekdays))),
                cost_per_day_eur=r.number(item, "cost_per_day_eur", path),
                switch_on_cost_eur=r.number(item, "switch_on_cost_eur", path),
                min_duration_days=int(
                    r.number(item, "min_duration_days", path, minimum=1, integer=True)
                ),
                notes=r.notes(item, "notes", path),
            )
        )

    planning = r.obj(doc, "planning", "$")
    r.only(
        planning,
        ("horizon_days", "time_limit_s", "mip_rel_gap", "ration_lookahead_days", "notes"),
        "$.planning",
    )
    r.notes(planning, "notes", "$.planning")
    horizon = int(r.number(planning, "horizon_days", "$.planning", minimum=1, integer=True))
    quick = r.obj(doc, "quick", "$")
    r.only(quick, ("days", "products", "horizon_days", "time_limit_s", "notes"), "$.quick")
    r.notes(quick, "notes", "$.quick")
    quick_products = r.get(quick, "products", "$.quick")
    if not isinstance(quick_products, list) or not quick_products:
        raise r.fail("$.quick.products", "must be a non-empty list of product codes")
    for i, code in enumerate(quick_products):
        if not any(p.code == code for p in products):
            raise r.fail(f"$.quick.products[{i}]", f"{code!r} is not a product of the scenario")

    return Scenario(
        name=r.text(doc, "name", "$"),
        title=r.text(doc, "title", "$"),
        description=r.text(doc, "description", "$"),
        source=source,
        start=start,
        days=days,
        region=region,
        icu_occupancy=occupancy,
        products=tuple(products),
        groups=groups,
        actual_sigma=r.number(noise, "actual_sigma", "$.demand_noise", maximum=2.0),
        forecast_sigma=r.number(noise, "forecast_sigma", "$.demand_noise", maximum=2.0),
        hospital_stock_days=r.number(stock, "hospital_days", "$.stock"),
        central_stock_days=r.number(stock, "central_days", "$.stock"),
        stock_expiry_days=int(r.number(stock, "expiry_days", "$.stock", minimum=1, integer=True)),
        delivery_weekday=int(
            r.number(supply, "delivery_weekday", "$.supply", maximum=6, integer=True)
        ),
        delivery_days=r.number(supply, "delivery_days", "$.supply"),
        delivery_expiry_days=int(
            r.number(supply, "expiry_days", "$.supply", minimum=1, integer=True)
        ),
        line=line,
        regimes=tuple(regimes),
        horizon_days=horizon,
        time_limit_s=r.number(planning, "time_limit_s", "$.planning", exclusive=True),
        mip_rel_gap=r.number(planning, "mip_rel_gap", "$.planning", maximum=0.99),
        ration_lookahead_days=int(
            r.number(planning, "ration_lookahead_days", "$.planning", integer=True)
        ),
        quick_days=int(r.number(quick, "days", "$.quick", minimum=1, integer=True)),
        quick_products=tuple(str(c) for c in quick_products),
        quick_horizon_days=int(r.number(quick, "horizon_days", "$.quick", minimum=1, integer=True)),
        quick_time_limit_s=r.number(quick, "time_limit_s", "$.quick", exclusive=True),
    )


def packaged_scenarios() -> list[str]:
    """Names of the scenarios shipped in `rempart/planning/scenarios/`."""
    folder = resources.files("rempart.planning") / "scenarios"
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A packaged scenario by name (`covid-2020`) or any scenario file by path."""
    ref = str(name_or_path)
    if isinstance(name_or_path, Path) or ref.endswith(".json") or "/" in ref:
        path = Path(name_or_path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(str(path), "(file)", exc.strerror or str(exc)) from None
        except UnicodeDecodeError as exc:
            raise ScenarioError(str(path), "(file)", f"not UTF-8 text: {exc.reason}") from None
        return parse_scenario(text, source=str(path))
    if ref not in packaged_scenarios():
        raise ScenarioError(
            ref, "(name)", f"no such scenario; packaged: {', '.join(packaged_scenarios())}"
        )
    resource = resources.files("rempart.planning") / "scenarios" / f"{ref}.json"
    return parse_scenario(resource.read_text(encoding="utf-8"), source=f"{ref}.json")


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RationLine:
    """One hospital's request for one product on one day, and what PPA gave it."""

    hospital: str
    demand_vials: float
    from_own_stock_vials: float
    requested_vials: float
    allocated_vials: float


@dataclass(frozen=True, slots=True)
class ProductDay:
    """One product on one day at the central pharmacy."""

    product: str
    supply_vials: float
    allocated_vials: float
    lines: tuple[RationLine, ...]


@dataclass(frozen=True, slots=True)
class DayRecord:
    day: int
    date: str
    regime: str
    vials_filled: float
    vials_released: float
    delivered_vials: float
    demand_vials: float
    served_vials: float
    products: tuple[ProductDay, ...]
    solve_status: str = ""
    solve_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one arm of the replay (with the line, or the baseline) achieved."""

    label: str
    demand_vials: float
    served_vials: float
    regional_fill_rate: float
    min_hospital_fill_rate: float
    min_hospital: str
    hospital_fill_rates: dict[str, float]
    product_fill_rates: dict[str, float]
    crisis_days: int
    vials_made: float
    vials_expired: float
    days: tuple[DayRecord, ...] = field(repr=False)

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "days"}
        return out


@dataclass(frozen=True, slots=True)
class ReplayResult:
    scenario: str
    seed: int
    quick: bool
    start: str
    end: str
    days: int
    products: tuple[str, ...]
    hospitals: int
    with_line: Outcome
    baseline: Outcome
    seconds: float
    solves: int
    solves_at_time_limit: int
    solves_failed: int
    solves_check_failed: int
    crisis_switch_ons_deferred: int

    def to_dict(self, daily: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "seed": self.seed,
            "quick": self.quick,
            "start": self.start,
            "end": self.end,
            "days": self.days,
            "products": list(self.products),
            "hospitals": self.hospitals,
            "seconds": round(self.seconds, 2),
            "solves": self.solves,
            "solves_at_time_limit": self.solves_at_time_limit,
            "solves_failed": self.solves_failed,
            "solves_check_failed": self.solves_check_failed,
            "crisis_switch_ons_deferred": self.crisis_switch_ons_deferred,
            "with_line": self.with_line.summary(),
            "baseline": self.baseline.summary(),
        }
        if daily:
            for key, outcome in (("with_line", self.with_line), ("baseline", self.baseline)):
                out[key]["daily"] = [
                    {
                        "day": d.day,
                        "date": d.date,
                        "regime": d.regime,
                        "vials_filled": d.vials_filled,
                        "vials_released": d.vials_released,
                        "delivered_vials": d.delivered_vials,
                        "demand_vials": round(d.demand_vials, 1),
                        "served_vials": round(d.served_vials, 1),
                        "solve_status": d.solve_status,
                    }
                    for d in outcome.days
                ]
        return out

    def figures(self) -> dict[str, Any]:
        """The headline figures only (what reproducibility is checked on)."""
        return {
            arm: {
                "regional_fill_rate": o.regional_fill_rate,
                "min_hospital_fill_rate": o.min_hospital_fill_rate,
                "crisis_days": o.crisis_days,
                "vials_made": o.vials_made,
                "served_vials": o.served_vials,
            }
            for arm, o in (("with_line", self.with_line), ("baseline", self.baseline))
        }


# --------------------------------------------------------------------------------------------
# The simulation
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Lot:
    product: str
    quantity: float
    release_day: int
    expiry_day: int
    kind: str


@dataclass(slots=True)
class _State:
    central: list[_Lot]
    hospital: dict[tuple[str, str], float]
    regime: str
    regime_days: int
    crisis_days: int = 0
    made: float = 0.0
    expired: float = 0.0
    served: dict[tuple[str, str], float] = field(default_factory=dict)
    demanded: dict[tuple[str, str], float] = field(default_factory=dict)
    days: list[DayRecord] = field(default_factory=list)


class _World:
    """Demand, forecasts and deliveries, drawn once per (scenario, seed): both arms share them."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seed = seed
        self.hospitals = REGIONS[scenario.region]
        catalog = {p.code: p for p in demo_products()}
        line = scenario.line
        self.products = tuple(
            PlanProduct(
                code=p.code,
                criticality=catalog[p.code].criticality,
                line_hours_per_vial=1.0 / line.run_rate_vials_per_hour,
                setup_hours=line.setup_hours,
                vial_format=catalog[p.code].vial_format.code,
                qc_lead_time_days=float(line.qc_lead_time_days),
                shelf_life_days=float(line.shelf_life_days),
                min_residual_days=float(line.min_residual_days),
                min_batch_vials=line.min_batch_vials,
                setup_cost=line.setup_cost_eur,
                holding_cost_per_vial_period=line.holding_cost_eur_per_vial_day,
            )
            for p in scenario.products
        )
        self.codes = [p.code for p in scenario.products]
        self.hcodes = [h.code for h in self.hospitals]
        # Normal daily demand per hospital x product (ICU beds x occupancy x vials/patient-day).
        self.normal = np.array(
            [
                [
                    h.icu_beds_assumed * scenario.icu_occupancy * p.vials_per_patient_day
                    for p in scenario.products
                ]
                for h in self.hospitals
            ]
        )
        span = scenario.days + scenario.horizon_days + scenario.ration_lookahead_days + 1
        self.span = span
        self.dates = [scenario.start + timedelta(days=d) for d in range(span)]
        surge = np.array(
            [
                [scenario.groups[p.group].surge.at(day) for p in scenario.products]
                for day in self.dates
            ]
        )  # day x product
        expected = self.normal[None, :, :] * surge[:, None, :]  # day x hospital x product
        rng = np.random.default_rng([seed, 1])
        sigma = scenario.actual_sigma
        factor = np.exp(rng.normal(-sigma * sigma / 2, sigma, size=expected.shape))
        self.actual = np.round(expected * factor, 0)
        regional_normal = self.normal.sum(axis=0)
        self.deliveries = np.zeros((span, len(self.codes)))
        for d, day in enumerate(self.dates):
            if day.weekday() == scenario.delivery_weekday:
                for j, p in enumerate(scenario.products):
                    fraction = scenario.groups[p.group].deliveries.at(day)
                    self.deliveries[d, j] = round(
                        regional_normal[j] * scenario.delivery_days * fraction
                    )

    def forecast(self, today: int) -> np.ndarray:
        """The planner's forecast, made on `today`, of days today..today+H+R (noisy actual)."""
        rng = np.random.default_rng([self.seed, 2, today])
        sigma = self.scenario.forecast_sigma
        window = self.actual[today:]
        factor = np.exp(rng.normal(-sigma * sigma / 2, sigma, size=window.shape))
        return np.asarray(window * factor)

    def order(self, today: int, product: int) -> list[int]:
        rng = np.random.default_rng([self.seed, 3, today, product])
        return [int(i) for i in rng.permutation(len(self.hospitals))]

    def initial_state(self) -> _State:
        s = self.scenario
        regional = self.normal.sum(axis=0)
        central = [
            _Lot(
                code,
                float(round(regional[j] * s.central_stock_days)),
                0,
                s.stock_expiry_days,
                "on_hand",
            )
            for j, code in enumerate(self.codes)
        ]
        hospital = {
            (h, code): float(round(self.normal[i, j] * s.hospital_stock_days))
            for i, h in enumerate(self.hcodes)
            for j, code in enumerate(self.codes)
        }
        return _State(central, hospital, s.regimes[0].name, 0)


def _usable_until(lot: _Lot, min_residual: int) -> int:
    return lot.expiry_day - min_residual


def _build_problem(world: _World, state: _State, today: int) -> PlanningProblem:
    s = world.scenario
    horizon = s.horizon_days
    forecast = world.forecast(today)[:horizon]
    dates = world.dates[today : today + horizon]
    demand = {
        (h, code): tuple(float(v) for v in forecast[:, i, j])
        for i, h in enumerate(world.hcodes)
        for j, code in enumerate(world.codes)
    }
    lots: list[StockLot] = []
    for n, lot in enumerate(state.central):
        if lot.quantity <= 0:
            continue
        lots.append(
            StockLot(
                f"{lot.kind}-{lot.product}-n{n}",
                lot.product,
                lot.quantity,
                CENTRAL,
                float(max(0, lot.release_day - today)),
                float(lot.expiry_day - today),
                "quarantine" if lot.release_day > today else "on_hand",
            )
        )
    for (h, code), qty in state.hospital.items():
        if qty > 0:
            lots.append(
                StockLot(f"{h}-{code}", code, qty, h, 0.0, float(s.stock_expiry_days - today))
            )
    for k in range(1, horizon):
        for j, code in enumerate(world.codes):
            qty = world.deliveries[today + k, j]
            if qty > 0:
                lots.append(
                    StockLot(
                        f"expected-{code}-day{today + k}",
                        code,
                        float(qty),
                        CENTRAL,
                        float(k),
                        float(k + s.delivery_expiry_days),
                        "delivery",
                    )
                )
    locked = 0
    crisis_name = _crisis(s).name
    if state.regime == crisis_name:
        locked = max(0, _crisis(s).min_duration_days - state.regime_days)
    ordered = sorted(s.regimes, key=lambda g: g.name != state.regime)
    regimes = []
    for g in ordered:
        hours = []
        for k, day in enumerate(dates):
            if g.name != crisis_name and k < locked:
                hours.append(0.0)  # a crisis already started runs its minimum duration
            elif day.weekday() in g.weekdays and g.vials_per_day > 0:
                # The twin's figure includes one set-up: give its vials plus one set-up's hours.
                hours.append(g.vials_per_day / s.line.run_rate_vials_per_hour + s.line.setup_hours)
            else:
                hours.append(0.0)
        regimes.append(
            Regime(
                g.name,
                tuple(hours),
                capacity_source=f"scenario figure: {g.vials_per_day:g} vials/day ({g.notes})",
                cost_per_period=g.cost_per_day_eur,
                switch_on_cost=g.switch_on_cost_eur,
                min_duration_periods=g.min_duration_days,
            )
        )
    return PlanningProblem(
        name=f"{s.name}-day-{today}",
        period_days=1.0,
        period_labels=tuple(d.isoformat() for d in dates),
        products=world.products,
        hospitals=tuple(PlanHospital(h.code, h.name) for h in world.hospitals),
        demand=demand,
        regimes=tuple(regimes),
        lots=tuple(lots),
        format_change_hours=s.line.format_change_hours,
        allow_unmet_demand=True,
    )


def _crisis(s: Scenario) -> ScenarioRegime:
    """The regime with the most capacity (the one whose minimum duration binds the replay)."""
    return max(s.regimes, key=lambda g: (g.vials_per_day * len(g.weekdays), g.name))


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
    """Line hours of the plan's day-0 lots: vials, one set-up each, format changes."""
    hours = 0.0
    formats = set()
    for lot in plan.lots:
        if lot.period == 0 and lot.vials > 0.5:
            product = problem.product(lot.product)
            hours += lot.vials * product.line_hours_per_vial + product.setup_hours
            formats.add(product.vial_format)
    return hours + problem.format_change_hours * len(formats)


def _ration_day(world: _World, state: _State, today: int, forecast: np.ndarray) -> list[ProductDay]:
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
                and _usable_until(lot, residual) >= today
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
    world: _World,
    with_line: bool,
    progress: Callable[[int, int], None] | None,
    stats: dict[str, int],
) -> Outcome:
    s = world.scenario
    state = world.initial_state()
    options = SolveOptions(time_limit_s=s.time_limit_s, threads=1, mip_rel_gap=s.mip_rel_gap)
    crisis = _crisis(s)
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
                    _Lot(code, qty, today, today + s.delivery_expiry_days, "delivery")
                )
        filled = 0.0
        status = ""
        seconds = 0.0
        regime = state.regime
        if with_line:
            problem = _build_problem(world, state, today)
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
                for made in plan.lots:
                    if made.period == 0 and made.vials > 0.5:
                        vials = float(round(made.vials))
                        filled += vials
                        state.central.append(
                            _Lot(
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
            if lot.quantity > 0 and _usable_until(lot, s.line.min_residual_days) <= today:
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
    world = _World(scenario, seed)
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
