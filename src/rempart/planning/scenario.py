"""Crisis scenarios (`rempart-scenario/1`): the file format and its checks (read with
`scenario_reader.Reader`).

A scenario is a JSON file, shipped in `rempart/planning/scenarios/` or given by path, that
describes a region's demand and industry supply over a window (e.g. spring 2020, DOMAIN.md
§7.1) with every number's source or assumption written beside it. `parse_scenario` validates
one and names the field of any error; `load_scenario` finds one by name or path. The replay
itself is in replay.py. No Django here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

from rempart.domain import json_text
from rempart.domain.catalog import demo_products
from rempart.domain.region import HAUTS_DE_FRANCE
from rempart.planning.scenario_reader import Reader
from rempart.planning.scenario_reader import ScenarioError as ScenarioError

FORMAT = "rempart-scenario/1"
REGIONS = {"hauts-de-france": HAUTS_DE_FRANCE}
#: The longest replay (about ten years of days) and the longest rolling planning horizon (a
#: year of daily periods: ten products with a 180-day shelf life then give about 500,000 of
#: the planning model's 1,000,000 arcs at most).
MAX_DAYS = 3660
MAX_HORIZON_DAYS = 366


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
        if not 1 <= days <= MAX_DAYS:
            raise ScenarioError(self.source, "--days", f"must be from 1 to {MAX_DAYS}, got {days}")
        return replace(self, days=days)


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
        doc = json_text.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            source, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from None
    r = Reader(source)
    if not isinstance(doc, dict):
        raise r.fail("$", "a scenario is a JSON object")
    r.only(doc, _TOP, "$")
    if doc.get("format") != FORMAT:
        raise r.fail("$.format", f"must be {FORMAT!r}, got {json.dumps(doc.get('format'))}")
    r.notes(doc, "notes", "$")
    start = r.day(r.get(doc, "start", "$"), "$.start")
    days = int(r.number(doc, "days", "$", minimum=1, maximum=MAX_DAYS, integer=True))

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
            name, Curve(r.curve(group, "surge", path)), Curve(r.curve(group, "deliveries", path))
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
    horizon = int(
        r.number(
            planning,
            "horizon_days",
            "$.planning",
            minimum=1,
            maximum=MAX_HORIZON_DAYS,
            integer=True,
        )
    )
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
        quick_days=int(
            r.number(quick, "days", "$.quick", minimum=1, maximum=MAX_DAYS, integer=True)
        ),
        quick_products=tuple(str(c) for c in quick_products),
        quick_horizon_days=int(
            r.number(
                quick, "horizon_days", "$.quick", minimum=1, maximum=MAX_HORIZON_DAYS, integer=True
            )
        ),
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
