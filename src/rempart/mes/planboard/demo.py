"""Demo forecasts for the planning board (`rempart mes load-demo` may call `load_demo_forecasts`).

Every figure is a demo ASSUMPTION (DOMAIN.md §8-9), the same as the planning package's
regional example: each hospital's ICU beds × occupancy × vials per patient-day of each
product, open-ended from today, curares × `CURARE_CRISIS_MULTIPLIER_ASSUMED` (the spring-2020
surge) so that the board has a shortage to plan for. Entered once, as the demo pharmacist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from rempart.domain.region import (
    CURARE_CRISIS_MULTIPLIER_ASSUMED,
    HAUTS_DE_FRANCE,
    ICU_OCCUPANCY_ASSUMED,
    VIALS_PER_PATIENT_DAY_ASSUMED,
)
from rempart.mes.accounts.models import User
from rempart.mes.catalog.models import Hospital, Product
from rempart.mes.supply.models import ConsumptionForecast

DEMO_PLANNER = "pharmacien"


def load_demo_forecasts(echo: Callable[[str], None]) -> None:
    if ConsumptionForecast.objects.exists():
        echo("planning board: forecasts already entered")
        return
    planner = User.objects.filter(username=DEMO_PLANNER).first()
    if planner is None:
        echo(f"planning board: no demo user {DEMO_PLANNER}; no forecast entered")
        return
    today = datetime.now(UTC).date()
    hospitals = {h.code: h for h in Hospital.objects.all()}
    products = {p.code: p for p in Product.objects.select_related("molecule")}
    rows = []
    for region_hospital in HAUTS_DE_FRANCE:
        hospital = hospitals.get(region_hospital.code)
        if hospital is None:
            continue
        occupied = region_hospital.icu_beds_assumed * ICU_OCCUPANCY_ASSUMED
        for code, per_patient_day in VIALS_PER_PATIENT_DAY_ASSUMED.items():
            product = products.get(code)
            if product is None:
                continue
            surge = (
                CURARE_CRISIS_MULTIPLIER_ASSUMED if product.molecule.atc.startswith("M03") else 1
            )
            vials = Decimal(str(round(occupied * per_patient_day * surge, 1)))
            if vials > 0:
                rows.append(
                    ConsumptionForecast(
                        hospital=hospital,
                        product=product,
                        vials_per_day=vials,
                        valid_from=today,
                        entered_by=planner,
                    )
                )
    ConsumptionForecast.objects.bulk_create(rows)
    echo(f"planning board: {len(rows)} demo consumption forecasts entered (assumptions)")
