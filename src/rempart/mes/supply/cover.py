"""Days of cover per hospital and product, and pooled for the region.

Stock comes from `StockSnapshot` (the latest count per hospital × product, entered by hand)
and consumption from `ConsumptionForecast` (the latest forecast covering the day). This is
the seam the stock and distribution issues replace: released lots, quarantine lots with their
expected release dates, and consumption from orders and dispatches. The arithmetic is
`rempart.shortage.coverage` (`days_of_cover`, `regional_cover`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q

from rempart.mes.catalog.models import Hospital, Product
from rempart.mes.supply.models import ConsumptionForecast, StockSnapshot
from rempart.shortage.coverage import QuarantineLot, SiteStock, days_of_cover, regional_cover


@dataclass(frozen=True, slots=True)
class SiteCover:
    hospital: Hospital
    product: Product
    released_vials: int
    quarantine_vials: int
    quarantine_release_date: date | None
    daily_consumption: float
    days: float | None

    def as_site(self) -> SiteStock:
        lots = (
            (QuarantineLot(self.quarantine_vials, self.quarantine_release_date),)
            if self.quarantine_vials and self.quarantine_release_date
            else ()
        )
        return SiteStock(self.hospital.code, self.released_vials, lots, self.daily_consumption)


@dataclass(frozen=True, slots=True)
class ProductCover:
    product: Product
    sites: tuple[SiteCover, ...]
    regional_days: float | None


def project(
    released: int,
    lots: list[QuarantineLot],
    daily_consumption: float,
    counted_on: date,
    today: date,
) -> tuple[int, list[QuarantineLot]]:
    """Stock on `today` from a count made on `counted_on`: the lots released in between are
    added and the forecast consumption of each day elapsed is taken off (never below zero)."""
    stock = float(released)
    pending = list(lots)
    for offset in range(max(0, (today - counted_on).days)):
        day = counted_on + timedelta(days=offset)
        stock += sum(lot.vials for lot in pending if lot.release_date <= day)
        pending = [lot for lot in pending if lot.release_date > day]
        stock = max(0.0, stock - daily_consumption)
    return int(stock), pending


def _latest_stock() -> dict[tuple[int, int], StockSnapshot]:
    latest: dict[tuple[int, int], StockSnapshot] = {}
    for snap in StockSnapshot.objects.order_by("counted_on", "entered_at", "pk"):
        latest[(snap.hospital_id, snap.product_id)] = snap
    return latest


def _forecasts(today: date) -> dict[tuple[int, int], ConsumptionForecast]:
    current: dict[tuple[int, int], ConsumptionForecast] = {}
    valid = ConsumptionForecast.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today), valid_from__lte=today
    ).order_by("entered_at", "pk")
    for forecast in valid:
        current[(forecast.hospital_id, forecast.product_id)] = forecast
    return current


def coverage(today: date) -> list[ProductCover]:
    """Every product with a stock count or a current forecast somewhere, by product code."""
    stock = _latest_stock()
    forecasts = _forecasts(today)
    keys = sorted(set(stock) | set(forecasts))
    hospitals = Hospital.objects.in_bulk({h for h, _ in keys})
    products = Product.objects.in_bulk({p for _, p in keys})
    by_product: dict[int, list[SiteCover]] = {}
    for hospital_id, product_id in keys:
        snap = stock.get((hospital_id, product_id))
        forecast = forecasts.get((hospital_id, product_id))
        released = snap.released_vials if snap else 0
        quarantine = snap.quarantine_vials if snap else 0
        release_date = snap.quarantine_release_date if snap else None
        consumption = float(forecast.vials_per_day) if forecast else 0.0
        lots = [QuarantineLot(quarantine, release_date)] if quarantine and release_date else []
        if snap is not None:
            released, lots = project(released, lots, consumption, snap.counted_on, today)
            quarantine = sum(lot.vials for lot in lots)
            release_date = lots[0].release_date if lots else None
        by_product.setdefault(product_id, []).append(
            SiteCover(
                hospital=hospitals[hospital_id],
                product=products[product_id],
                released_vials=released,
                quarantine_vials=quarantine,
                quarantine_release_date=release_date,
                daily_consumption=consumption,
                days=days_of_cover(released, lots, consumption, today),
            )
        )
    result = [
        ProductCover(
            product=products[pid],
            sites=tuple(sorted(sites, key=lambda s: s.hospital.name)),
            regional_days=regional_cover([s.as_site() for s in sites], today),
        )
        for pid, sites in by_product.items()
    ]
    return sorted(result, key=lambda c: c.product.code)
