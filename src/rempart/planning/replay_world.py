"""The world a crisis replay runs in: demand, forecasts, deliveries and the daily problem.

`World` draws, once per (scenario, seed), the actual demand of every hospital and product, the
planner's noisy forecasts and the industry deliveries; both arms of the replay (with and
without the line) share them. `ReplayState` is what one arm holds on a given day, and
`build_problem` turns it into the `PlanningProblem` the planner solves for the next days.
`replay.py` runs the days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from rempart.domain.catalog import demo_products
from rempart.planning.problem import (
    CENTRAL,
    PlanHospital,
    PlanningProblem,
    PlanProduct,
    Regime,
    StockLot,
)
from rempart.planning.replay_result import DayRecord
from rempart.planning.scenario import REGIONS, Scenario, ScenarioRegime


@dataclass(slots=True)
class Lot:
    product: str
    quantity: float
    release_day: int
    expiry_day: int
    kind: str


@dataclass(slots=True)
class ReplayState:
    central: list[Lot]
    hospital: dict[tuple[str, str], float]
    regime: str
    regime_days: int
    crisis_days: int = 0
    #: The vial format the line ended its last filling day in (None before the first one).
    line_format: str | None = None
    made: float = 0.0
    expired: float = 0.0
    served: dict[tuple[str, str], float] = field(default_factory=dict)
    demanded: dict[tuple[str, str], float] = field(default_factory=dict)
    days: list[DayRecord] = field(default_factory=list)


class World:
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

    def initial_state(self) -> ReplayState:
        s = self.scenario
        regional = self.normal.sum(axis=0)
        central = [
            Lot(
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
        return ReplayState(central, hospital, s.regimes[0].name, 0)


def usable_until(lot: Lot, min_residual: int) -> int:
    return lot.expiry_day - min_residual


def build_problem(world: World, state: ReplayState, today: int) -> PlanningProblem:
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
    crisis_name = crisis_regime(s).name
    if state.regime == crisis_name:
        locked = max(0, crisis_regime(s).min_duration_days - state.regime_days)
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
        initial_vial_format=state.line_format,
    )


def crisis_regime(s: Scenario) -> ScenarioRegime:
    """The regime with the most capacity (the one whose minimum duration binds the replay)."""
    return max(s.regimes, key=lambda g: (g.vials_per_day * len(g.weekdays), g.name))
