"""Days of cover: how long stock lasts at the current consumption.

Released stock counts at once; quarantine stock counts from its expected release date (QC
pipeline stock). Consumption is a daily rate, from past orders and dispatches or from a
forecast the user enters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from rempart.domain.errors import InvalidValue

#: Décret 2021-349: industry safety stock of 2 months for MITM (configurable per watch).
DEFAULT_COVER_THRESHOLD_DAYS = 60
DEFAULT_HORIZON_DAYS = 365


@dataclass(frozen=True, slots=True)
class QuarantineLot:
    vials: int
    release_date: date


def average_daily_consumption(
    quantities_by_day: Mapping[date, int], start: date, end: date
) -> float:
    """Mean vials per day over [start, end] inclusive; days without movement count as 0."""
    if end < start:
        raise InvalidValue("the window ends before it starts", field="end")
    days = (end - start).days + 1
    total = sum(q for day, q in quantities_by_day.items() if start <= day <= end)
    if total < 0:
        raise InvalidValue("consumption cannot be negative", field="quantities_by_day")
    return total / days


def days_of_cover(
    released_vials: int,
    quarantine: Sequence[QuarantineLot],
    daily_consumption: float,
    today: date,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> float | None:
    """Days until stock runs out, counting quarantine lots from their release date.

    None when nothing is consumed (cover is unlimited); capped at `horizon_days`. A lot
    released on day d is usable on day d; consumption on each day comes after releases.
    """
    if released_vials < 0:
        raise InvalidValue("stock cannot be negative", field="released_vials")
    if daily_consumption < 0:
        raise InvalidValue("consumption cannot be negative", field="daily_consumption")
    for lot in quarantine:
        if lot.vials < 0:
            raise InvalidValue("a quarantine lot cannot be negative", field="quarantine")
    if daily_consumption == 0:
        return None
    arrivals: dict[int, int] = {}
    for lot in quarantine:
        offset = max(0, (lot.release_date - today).days)
        arrivals[offset] = arrivals.get(offset, 0) + lot.vials
    stock = float(released_vials)
    for day in range(horizon_days):
        stock += arrivals.get(day, 0)
        if stock < daily_consumption:
            return day + stock / daily_consumption
        stock -= daily_consumption
    return float(horizon_days)


def stock_out_date(cover_days: float | None, today: date) -> date | None:
    if cover_days is None:
        return None
    return today + timedelta(days=int(cover_days))


@dataclass(frozen=True, slots=True)
class SiteStock:
    """Stock and consumption of one product at one site (a hospital or the central pharmacy)."""

    site: str
    released_vials: int
    quarantine: tuple[QuarantineLot, ...]
    daily_consumption: float


def regional_cover(sites: Iterable[SiteStock], today: date) -> float | None:
    """Cover of the whole region: all stock pooled against all consumption."""
    sites = list(sites)
    return days_of_cover(
        sum(s.released_vials for s in sites),
        [lot for s in sites for lot in s.quarantine],
        sum(s.daily_consumption for s in sites),
        today,
    )
