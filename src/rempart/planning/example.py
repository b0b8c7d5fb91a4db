"""The demo regional problem: Hauts-de-France, 17 hospitals, 10 products, 56 days, curares cut.

Built only from `rempart.domain.catalog` and `rempart.domain.region`; every figure below is a
demo ASSUMPTION (DOMAIN.md §8-9), never a real figure. The story: on day 0 the industry stops
delivering curares while ICU curare use rises to `CURARE_CRISIS_MULTIPLIER_ASSUMED` × normal
from day `SURGE_START_DAY`; other products keep arriving weekly. Stock on hand covers a few
days, one atracurium lot is in QC quarantine, and the line's vials are released only after the
15-day sterility test. The crisis regime (24/7) may be switched on for at least a week.
"""

from __future__ import annotations

from datetime import date, timedelta

from rempart.domain.catalog import demo_products
from rempart.domain.region import (
    CURARE_CRISIS_MULTIPLIER_ASSUMED,
    HAUTS_DE_FRANCE,
    ICU_OCCUPANCY_ASSUMED,
    VIALS_PER_PATIENT_DAY_ASSUMED,
)
from rempart.planning.problem import (
    CENTRAL,
    PlanHospital,
    PlanningProblem,
    PlanProduct,
    Regime,
    StockLot,
)

REGIONS = ("hauts-de-france",)
NOMINAL_VIALS_PER_HOUR = 600.0
RUN_OEE = 0.55  # performance x quality while filling; the crisis-regime OEE of DOMAIN.md §8
NORMAL_OEE = 0.4
SHIFT_HOURS = 8.0
SETUP_HOURS = 3.0
FORMAT_CHANGE_HOURS = 1.0
MIN_RESIDUAL_DAYS = 30.0
MIN_BATCH_VIALS = 200.0
SURGE_START_DAY = 7
CENTRAL_STOCK_DAYS = 6.0
HOSPITAL_STOCK_DAYS = 3.0
SETUP_COST_EUR = 400.0
HOLDING_COST_EUR_PER_VIAL_DAY = 0.01
CRISIS_COST_EUR_PER_DAY = 6000.0
CRISIS_SWITCH_COST_EUR = 15000.0
CRISIS_MIN_DAYS = 7


def _is_curare(atc: str) -> bool:
    return atc.startswith("M03")


def regional_example(
    region: str = "hauts-de-france", n_days: int = 56, start: date = date(2026, 1, 5)
) -> PlanningProblem:
    """The demo problem for `region` over `n_days` daily periods starting on `start`."""
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; known: {', '.join(REGIONS)}")
    days = [start + timedelta(days=t) for t in range(n_days)]
    catalog = demo_products()
    run_rate = NOMINAL_VIALS_PER_HOUR * RUN_OEE
    products = tuple(
        PlanProduct(
            code=p.code,
            criticality=p.criticality,
            line_hours_per_vial=1.0 / run_rate,
            setup_hours=SETUP_HOURS,
            vial_format=p.vial_format.code,
            qc_lead_time_days=float(p.qc_lead_time_days),
            shelf_life_days=float(p.shelf_life_days),
            min_residual_days=MIN_RESIDUAL_DAYS,
            min_batch_vials=MIN_BATCH_VIALS,
            setup_cost=SETUP_COST_EUR,
            holding_cost_per_vial_period=HOLDING_COST_EUR_PER_VIAL_DAY,
        )
        for p in catalog
    )
    curares = {p.code for p in catalog if _is_curare(p.molecule.atc)}
    demand: dict[tuple[str, str], tuple[float, ...]] = {}
    normal_daily: dict[tuple[str, str], float] = {}
    for hospital in HAUTS_DE_FRANCE:
        occupied = hospital.icu_beds_assumed * ICU_OCCUPANCY_ASSUMED
        for product in products:
            base = occupied * VIALS_PER_PATIENT_DAY_ASSUMED[product.code]
            normal_daily[hospital.code, product.code] = base
            surge = CURARE_CRISIS_MULTIPLIER_ASSUMED if product.code in curares else 1.0
            demand[hospital.code, product.code] = tuple(
                round(base * (surge if t >= SURGE_START_DAY else 1.0), 1) for t in range(n_days)
            )
    lots: list[StockLot] = []
    for product in products:
        regional = sum(normal_daily[h.code, product.code] for h in HAUTS_DE_FRANCE)
        lots.append(
            StockLot(
                f"CENTRAL-{product.code}",
                product.code,
                round(regional * CENTRAL_STOCK_DAYS),
                CENTRAL,
                0.0,
                120.0,
            )
        )
        for hospital in HAUTS_DE_FRANCE:
            lots.append(
                StockLot(
                    f"{hospital.code}-{product.code}",
                    product.code,
                    round(normal_daily[hospital.code, product.code] * HOSPITAL_STOCK_DAYS),
                    hospital.code,
                    0.0,
                    90.0,
                )
            )
        if product.code not in curares:
            for t in range(0, n_days, 7):  # weekly industry deliveries continue
                lots.append(
                    StockLot(
                        f"DELIVERY-{product.code}-{t}",
                        product.code,
                        round(regional * 7),
                        CENTRAL,
                        float(t),
                        t + 365.0,
                        kind="delivery",
                    )
                )
    lots.append(StockLot("QUAR-ATRA-0001", "ATRA-10-5", 2500.0, CENTRAL, 10.0, 190.0, "quarantine"))
    normal_hours = SHIFT_HOURS * NORMAL_OEE / RUN_OEE
    regimes = (
        Regime(
            "normal",
            tuple(normal_hours if d.weekday() < 5 else 0.0 for d in days),
            capacity_source=(
                f"user figure [A]: 1 shift of {SHIFT_HOURS:g} h Mon-Fri at OEE {NORMAL_OEE} "
                f"(≈{SHIFT_HOURS * NOMINAL_VIALS_PER_HOUR * NORMAL_OEE:.0f} vials/day), "
                f"as {normal_hours:.2f} h at the {run_rate:.0f} vials/h run rate"
            ),
        ),
        Regime(
            "crisis",
            (24.0,) * n_days,
            capacity_source=(
                f"user figure [A]: 24 h x 7 d at OEE {RUN_OEE} (≈{24 * run_rate:.0f} vials/day)"
            ),
            cost_per_period=CRISIS_COST_EUR_PER_DAY,
            switch_on_cost=CRISIS_SWITCH_COST_EUR,
            min_duration_periods=CRISIS_MIN_DAYS,
        ),
    )
    return PlanningProblem(
        name=f"{region}-demo",
        description=(
            "Demo data [A]: ICU beds, demand coefficients, stock and costs are assumptions. "
            "Curare deliveries are cut from day 0; curare demand x"
            f"{CURARE_CRISIS_MULTIPLIER_ASSUMED:g} from day {SURGE_START_DAY}."
        ),
        period_days=1.0,
        period_labels=tuple(d.isoformat() for d in days),
        products=products,
        hospitals=tuple(PlanHospital(h.code, h.name) for h in HAUTS_DE_FRANCE),
        demand=demand,
        regimes=regimes,
        lots=tuple(lots),
        format_change_hours=FORMAT_CHANGE_HOURS,
        allow_unmet_demand=True,
    )
