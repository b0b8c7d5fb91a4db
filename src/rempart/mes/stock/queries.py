"""What the stock pages and API read: stock per location (quarantine apart), near expiry.

Reads first expire the lots past their date (`expire_lots(today)`), so nobody ever sees an
expired lot as available. An orderer sees only their hospital's pharmacy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rempart.domain.lot import LotStatus
from rempart.domain.roles import Role
from rempart.domain.stock import days_left, near_expiry, removal_date
from rempart.mes.accounts.models import User
from rempart.mes.stock import ledger
from rempart.mes.stock.lots import expire_lots
from rempart.mes.stock.models import Location, LocationKind, Lot
from rempart.mes.stock.services import min_residual_days, near_expiry_days, today


@dataclass(frozen=True, slots=True)
class Row:
    lot: Lot
    quantity: int
    available: bool
    days_left: int | None
    removal: date | None


@dataclass
class LocationStock:
    location: Location
    rows: list[Row]

    @property
    def total(self) -> int:
        return sum(r.quantity for r in self.rows)

    @property
    def available_total(self) -> int:
        return sum(r.quantity for r in self.rows if r.available)


def visible_locations(user: User) -> list[Location]:
    if user.role == Role.ORDERER:
        if user.hospital is None:
            return []
        return [ledger.hospital_location(user.hospital)]
    for code in (ledger.CENTRAL, ledger.BAY, ledger.TRANSIT, ledger.RETURNS):
        ledger.fixed_location(code)
    order = {k.value: i for i, k in enumerate(LocationKind)}
    return sorted(Location.objects.all(), key=lambda loc: (order[loc.kind], loc.name))


def stock_by_location(user: User, on: date | None = None) -> list[LocationStock]:
    day = on or today()
    expire_lots(day)
    locations = visible_locations(user)
    held = ledger.balances(locations=[loc.pk for loc in locations])
    lots = Lot.objects.select_related("batch__product").in_bulk({lot for lot, _ in held})
    out = []
    for location in locations:
        rows = []
        for (lot_id, loc_id), qty in held.items():
            if loc_id != location.pk or qty <= 0:
                continue
            lot = lots[lot_id]
            usable = lot.status == LotStatus.RELEASED.value and lot.expiry_date is not None
            rows.append(
                Row(
                    lot,
                    qty,
                    usable and location.kind in (LocationKind.CENTRAL, LocationKind.HOSPITAL),
                    days_left(lot.expiry_date, day) if lot.expiry_date else None,
                    removal_date(lot.expiry_date, min_residual_days()) if lot.expiry_date else None,
                )
            )
        rows.sort(key=lambda r: (r.lot.expiry_date or date.max, r.lot.lot_number))
        out.append(LocationStock(location, rows))
    return out


def quarantine_lots(user: User) -> list[Lot]:
    """Lots still in quarantine (not yet in stock: they enter central stock at release)."""
    if user.role == Role.ORDERER:
        return []
    return list(
        Lot.objects.filter(status=LotStatus.QUARANTINE.value)
        .select_related("batch__product")
        .order_by("expected_release_date", "lot_number")
    )


def near_expiry_rows(user: User, on: date | None = None) -> list[tuple[Location, Row]]:
    day = on or today()
    window = near_expiry_days()
    found = []
    for place in stock_by_location(user, day):
        for row in place.rows:
            if row.lot.status == LotStatus.RELEASED.value and near_expiry(
                row.lot.expiry_date, day, window
            ):
                found.append((place.location, row))
    found.sort(key=lambda pair: (pair[1].days_left or 0, pair[0].name))
    return found
