"""Forecasts and stock counts entered by a pharmacist; each entry refreshes the alerts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.catalog.models import Hospital, Product
from rempart.mes.core.errors import Refused
from rempart.mes.supply.alerting import refresh_alerts
from rempart.mes.supply.models import ConsumptionForecast, StockSnapshot

#: Forecasts and stock counts are planning inputs: entering them is planning production
#: (`Action.PLAN_PRODUCTION` in `rempart.domain.roles.PERMISSIONS`, docs/supply.md).
PLANNING_INPUT = Action.PLAN_PRODUCTION


def _require_planner(user: User) -> None:
    require(user, PLANNING_INPUT)


def enter_forecast(
    user: User,
    hospital: Hospital,
    product: Product,
    vials_per_day: Decimal,
    valid_from: date,
    valid_until: date | None,
) -> ConsumptionForecast:
    _require_planner(user)
    if vials_per_day < 0:
        raise Refused("cannot be negative", field="vials_per_day")
    if valid_until is not None and valid_until < valid_from:
        raise Refused("the period ends before it starts", field="valid_until")
    forecast = ConsumptionForecast.objects.create(
        hospital=hospital,
        product=product,
        vials_per_day=vials_per_day,
        valid_from=valid_from,
        valid_until=valid_until,
        entered_by=user,
    )
    refresh_alerts()
    return forecast


def enter_stock(
    user: User,
    hospital: Hospital,
    product: Product,
    counted_on: date,
    released_vials: int,
    quarantine_vials: int = 0,
    quarantine_release_date: date | None = None,
) -> StockSnapshot:
    _require_planner(user)
    if released_vials < 0:
        raise Refused("cannot be negative", field="released_vials")
    if quarantine_vials < 0:
        raise Refused("cannot be negative", field="quarantine_vials")
    if quarantine_vials and quarantine_release_date is None:
        raise Refused("quarantine stock needs its expected release date", field="release_date")
    snapshot = StockSnapshot.objects.create(
        hospital=hospital,
        product=product,
        counted_on=counted_on,
        released_vials=released_vials,
        quarantine_vials=quarantine_vials,
        quarantine_release_date=quarantine_release_date if quarantine_vials else None,
        entered_by=user,
    )
    refresh_alerts()
    return snapshot
