"""Days of cover per hospital and product, and pooled for the region.

**Stock** comes from the stock ledger (`rempart.mes.stock`, read only):

- a hospital's stock is what the ledger delivered to its pharmacy location (receipts less
  returns, recall returns, declared uses and losses), of lots still released and in date.
  Hospitals do not declare their daily use in rempart, so the vials on hand are *estimated*:
  the ledger's movements are replayed day by day from the first one, the hospital's daily
  consumption (below) taken off each day, never below zero (`_estimated_on_hand`);
- the region pools, on top of every hospital's stock, the central pharmacy's released stock
  that may still leave it (before its removal date = expiry − minimum residual shelf life),
  what is picked or in transit, and the lots in quarantine counted from their expected
  release date (a quarantine lot with no expected date is not counted).
  Central stock belongs to nobody yet: it enters the regional cover only, never a
  hospital's.

Where the ledger has never delivered a product to a hospital (a hospital not supplied
through rempart yet), the latest hand-entered `StockSnapshot` stands in, projected from its
count date to today (`project`).

**Consumption** per hospital × product is what the hospital ordered (orders not cancelled)
or received over the last `CONSUMPTION_WINDOW_DAYS` days, whichever is larger, per day;
with no order and no receipt in the window, the latest-entered `ConsumptionForecast`
covering the day; with neither, 0 (cover unlimited). Every figure says where it came from
(`SiteCover.stock_source`, `consumption_source`).

The arithmetic is `rempart.shortage.coverage` (`days_of_cover`, `regional_cover`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from django.db.models import Q, Sum
from django.db.models.functions import TruncDate

from rempart.domain.lot import LotStatus
from rempart.domain.stock import MovementKind, removal_date
from rempart.mes.catalog.models import Hospital, Product
from rempart.mes.stock import ledger
from rempart.mes.stock.models import Location, LocationKind, Lot, Movement, OrderLine, OrderStatus
from rempart.mes.stock.services import min_residual_days
from rempart.mes.supply.models import ConsumptionForecast, StockSnapshot
from rempart.shortage.coverage import (
    QuarantineLot,
    SiteStock,
    average_daily_consumption,
    days_of_cover,
    regional_cover,
)

#: Trailing window (days, today included) over which orders and receipts give consumption.
CONSUMPTION_WINDOW_DAYS = 28

#: Where a stock figure came from.
LEDGER = "ledger"
COUNT = "count"
#: Where a consumption figure came from.
ORDERS = "orders"
FORECAST = "forecast"
NONE = "none"


@dataclass(frozen=True, slots=True)
class SiteCover:
    hospital: Hospital
    product: Product
    released_vials: int
    quarantine_vials: int
    quarantine_release_date: date | None
    daily_consumption: float
    days: float | None
    #: `LEDGER` (estimated from the stock ledger) or `COUNT` (a hand-entered count).
    stock_source: str = COUNT
    #: The count's date when `stock_source` is `COUNT`.
    counted_on: date | None = None
    #: `ORDERS` (orders/receipts of the window), `FORECAST` or `NONE`.
    consumption_source: str = NONE
    #: The forecast's start when `consumption_source` is `FORECAST`.
    forecast_from: date | None = None

    def as_site(self) -> SiteStock:
        lots = (
            (QuarantineLot(self.quarantine_vials, self.quarantine_release_date),)
            if self.quarantine_vials and self.quarantine_release_date
            else ()
        )
        return SiteStock(self.hospital.code, self.released_vials, lots, self.daily_consumption)


@dataclass(frozen=True, slots=True)
class CentralStock:
    """What the region holds of a product outside the hospitals (from the ledger)."""

    released_vials: int = 0
    #: Picked at the dispatch bay or in transit to a hospital.
    outbound_vials: int = 0
    quarantine: tuple[QuarantineLot, ...] = ()

    @property
    def quarantine_vials(self) -> int:
        return sum(lot.vials for lot in self.quarantine)

    @property
    def next_release_date(self) -> date | None:
        return min((lot.release_date for lot in self.quarantine), default=None)

    def as_site(self) -> SiteStock:
        return SiteStock("CENTRAL", self.released_vials + self.outbound_vials, self.quarantine, 0.0)


@dataclass(frozen=True, slots=True)
class ProductCover:
    product: Product
    sites: tuple[SiteCover, ...]
    regional_days: float | None
    central: CentralStock = CentralStock()

    @property
    def regional_stock(self) -> int:
        """Released vials pooled for the region (quarantine apart)."""
        return (
            self.central.released_vials
            + self.central.outbound_vials
            + sum(s.released_vials for s in self.sites)
        )

    @property
    def regional_consumption(self) -> float:
        return sum(s.daily_consumption for s in self.sites)


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


def _estimated_on_hand(net_by_day: dict[date, int], daily_consumption: float, today: date) -> int:
    """Vials at a hospital at the start of `today`: the ledger's net movements of each day
    (in − out) replayed from the first, the consumption of each elapsed day taken off, never
    below zero; the movements of `today` itself are added at the end (they are on the shelf)."""
    if not net_by_day:
        return 0
    stock = 0.0
    day = min(net_by_day)
    while day < today:
        stock = max(0.0, stock + net_by_day.get(day, 0) - daily_consumption)
        day += timedelta(days=1)
    stock += sum(q for d, q in net_by_day.items() if d >= today)
    return max(0, int(stock))


# --- reads -------------------------------------------------------------------------------


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


def _window(today: date) -> date:
    return today - timedelta(days=CONSUMPTION_WINDOW_DAYS - 1)


def _ordered(today: date) -> dict[tuple[int, int], dict[date, int]]:
    """(hospital, product) → vials ordered per day of the window (cancelled orders apart)."""
    rows = (
        OrderLine.objects.exclude(order__status=OrderStatus.CANCELLED.value)
        .annotate(day=TruncDate("order__created_at", tzinfo=UTC))
        .filter(day__gte=_window(today), day__lte=today)
        .values("order__hospital_id", "product_id", "day")
        .annotate(n=Sum("quantity_requested"))
    )
    out: dict[tuple[int, int], dict[date, int]] = defaultdict(dict)
    for row in rows:
        out[(row["order__hospital_id"], row["product_id"])][row["day"]] = row["n"]
    return out


def _hospital_movements(
    today: date,
) -> tuple[dict[tuple[int, int], dict[date, int]], dict[tuple[int, int], dict[date, int]]]:
    """From the ledger, per (hospital, product): the net vials per day at the hospital's
    pharmacy (lots still released and in date), and the vials received per day of the
    window (any lot: they were consumed or are on the shelf). A key present in the first map
    means the ledger knows this hospital × product, even at zero."""
    locations = {
        loc.pk: loc.hospital_id
        for loc in Location.objects.filter(kind=LocationKind.HOSPITAL.value)
        if loc.hospital_id is not None
    }
    net: dict[tuple[int, int], dict[date, int]] = defaultdict(dict)
    received: dict[tuple[int, int], dict[date, int]] = defaultdict(dict)
    if not locations:
        return net, received
    moves = (
        Movement.objects.filter(Q(target_id__in=locations) | Q(source_id__in=locations))
        .annotate(day=TruncDate("at", tzinfo=UTC))
        .values(
            "kind",
            "source_id",
            "target_id",
            "quantity",
            "day",
            "lot__batch__product_id",
            "lot__status",
            "lot__expiry_date",
        )
    )
    for m in moves:
        product_id = m["lot__batch__product_id"]
        for location_id, sign in ((m["target_id"], 1), (m["source_id"], -1)):
            if location_id not in locations:
                continue
            key = (locations[location_id], product_id)
            per_day = net[key]
            usable = m["lot__status"] == LotStatus.RELEASED.value and (
                m["lot__expiry_date"] is not None and m["lot__expiry_date"] >= today
            )
            per_day[m["day"]] = per_day.get(m["day"], 0) + (sign * m["quantity"] if usable else 0)
            if (
                sign == 1
                and m["kind"] == MovementKind.HOSPITAL_RECEIPT.value
                and _window(today) <= m["day"] <= today
            ):
                got = received[key]
                got[m["day"]] = got.get(m["day"], 0) + m["quantity"]
    return net, received


def _central(today: date) -> dict[int, CentralStock]:
    """Per product: released vials at the central pharmacy that may still leave it, vials
    picked or in transit (lots released and in date), and quarantine lots with their
    expected release date."""
    places = {
        loc.pk: loc.code
        for loc in Location.objects.filter(code__in=(ledger.CENTRAL, ledger.BAY, ledger.TRANSIT))
    }
    held = ledger.balances(locations=list(places)) if places else {}
    lots = Lot.objects.select_related("batch").in_bulk({lot_id for lot_id, _ in held})
    residual = min_residual_days()
    released: dict[int, int] = defaultdict(int)
    outbound: dict[int, int] = defaultdict(int)
    for (lot_id, location_id), qty in held.items():
        lot = lots[lot_id]
        if qty <= 0 or lot.status != LotStatus.RELEASED.value or lot.expiry_date is None:
            continue
        if places[location_id] == ledger.CENTRAL:
            if removal_date(lot.expiry_date, residual) >= today:
                released[lot.batch.product_id] += qty
        elif lot.expiry_date >= today:
            outbound[lot.batch.product_id] += qty
    quarantine: dict[int, list[QuarantineLot]] = defaultdict(list)
    for lot in Lot.objects.select_related("batch").filter(
        status=LotStatus.QUARANTINE.value, expected_release_date__isnull=False, quantity_vials__gt=0
    ):
        assert lot.expected_release_date is not None
        quarantine[lot.batch.product_id].append(
            QuarantineLot(lot.quantity_vials, lot.expected_release_date)
        )
    products = set(released) | set(outbound) | set(quarantine)
    return {
        pid: CentralStock(
            released.get(pid, 0),
            outbound.get(pid, 0),
            tuple(sorted(quarantine.get(pid, []), key=lambda q: q.release_date)),
        )
        for pid in products
    }


def _consumption(
    key: tuple[int, int],
    ordered: dict[tuple[int, int], dict[date, int]],
    received: dict[tuple[int, int], dict[date, int]],
    forecasts: dict[tuple[int, int], ConsumptionForecast],
    today: date,
) -> tuple[float, str, date | None]:
    start = _window(today)
    by_orders = max(
        average_daily_consumption(ordered.get(key, {}), start, today),
        average_daily_consumption(received.get(key, {}), start, today),
    )
    if by_orders > 0:
        return by_orders, ORDERS, None
    forecast = forecasts.get(key)
    if forecast is not None:
        return float(forecast.vials_per_day), FORECAST, forecast.valid_from
    return 0.0, NONE, None


def coverage(today: date) -> list[ProductCover]:
    """Every product with stock, orders or a forecast somewhere, by product code."""
    snapshots = _latest_stock()
    forecasts = _forecasts(today)
    ordered = _ordered(today)
    net, received = _hospital_movements(today)
    central = _central(today)
    keys = sorted(set(snapshots) | set(forecasts) | set(ordered) | set(net))
    hospitals = Hospital.objects.in_bulk({h for h, _ in keys})
    products = Product.objects.in_bulk({p for _, p in keys} | set(central))
    by_product: dict[int, list[SiteCover]] = {pid: [] for pid in central}
    for key in keys:
        hospital_id, product_id = key
        consumption, consumption_source, forecast_from = _consumption(
            key, ordered, received, forecasts, today
        )
        snap = snapshots.get(key)
        lots: list[QuarantineLot] = []
        counted_on: date | None = None
        if key in net:
            source = LEDGER
            released = _estimated_on_hand(net[key], consumption, today)
        elif snap is not None:
            source, counted_on = COUNT, snap.counted_on
            if snap.quarantine_vials and snap.quarantine_release_date:
                lots = [QuarantineLot(snap.quarantine_vials, snap.quarantine_release_date)]
            released, lots = project(snap.released_vials, lots, consumption, snap.counted_on, today)
        else:
            source, released = NONE, 0
        by_product.setdefault(product_id, []).append(
            SiteCover(
                hospital=hospitals[hospital_id],
                product=products[product_id],
                released_vials=released,
                quarantine_vials=sum(lot.vials for lot in lots),
                quarantine_release_date=lots[0].release_date if lots else None,
                daily_consumption=consumption,
                days=days_of_cover(released, lots, consumption, today),
                stock_source=source,
                counted_on=counted_on,
                consumption_source=consumption_source,
                forecast_from=forecast_from,
            )
        )
    result = []
    for pid, sites in by_product.items():
        pool = central.get(pid, CentralStock())
        result.append(
            ProductCover(
                product=products[pid],
                sites=tuple(sorted(sites, key=lambda s: s.hospital.name)),
                regional_days=regional_cover(
                    [pool.as_site(), *(s.as_site() for s in sites)], today
                ),
                central=pool,
            )
        )
    return sorted(result, key=lambda c: c.product.code)
