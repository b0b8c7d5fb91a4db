"""The planning board's fixtures: forecasts for the world's two hospitals, rocuronium in
rupture (a tiny BDPM import), and a small board parameter set that solves in seconds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pyotp
import pytest

from rempart.mes.catalog.models import Hospital, Product
from rempart.mes.planboard import runs
from rempart.mes.planboard.build import BoardParameters
from rempart.mes.supply.models import ConsumptionForecast, StockSnapshot
from rempart.mes.supply.services import import_bdpm_files
from rempart.shortage.bdpm import ErrorPolicy

from ..conftest import World

#: A Monday, so the normal regime's weekdays are easy to count.
START = date(2027, 3, 1)


def supply_status(atc: str, code: int, cis: str = "61234567") -> None:
    """Import a one-specialty MITM list and availability file: `atc` in status `code`."""
    label = {1: "Rupture de stock", 2: "Tension d'approvisionnement"}.get(code, "Remise")
    mitm = f"{cis}\t{atc}\tSPECIALITE TEST\thttps://base-donnees-publique.example/{cis}\n"
    dispo = f"{cis}\t\t{code}\t{label}\t01/06/2025\t02/06/2025\t\thttps://ansm.example/{cis}\n"
    import_bdpm_files(
        [("CIS_MITM.txt", mitm.encode()), ("CIS_CIP_Dispo_Spec.txt", dispo.encode())],
        ErrorPolicy.FAIL,
        None,
        channel="cli",
    )


def forecast(
    world: World,
    hospital: Hospital,
    product: Product,
    per_day: str,
    valid_from: date = START,
    valid_until: date | None = None,
) -> ConsumptionForecast:
    return ConsumptionForecast.objects.create(
        hospital=hospital,
        product=product,
        vials_per_day=Decimal(per_day),
        valid_from=valid_from,
        valid_until=valid_until,
        entered_by=world.users["pharmacist"],
    )


def stock(
    world: World,
    hospital: Hospital,
    product: Product,
    released: int,
    counted_on: date = START,
    quarantine: int = 0,
    release_date: date | None = None,
) -> StockSnapshot:
    return StockSnapshot.objects.create(
        hospital=hospital,
        product=product,
        counted_on=counted_on,
        released_vials=released,
        quarantine_vials=quarantine,
        quarantine_release_date=release_date,
        entered_by=world.users["pharmacist"],
    )


def small_parameters(**changes: object) -> BoardParameters:
    """21 days, 2,000 vials a weekday in the normal regime, no crisis regime, 20 s."""
    values: dict[str, object] = {
        "start": START,
        "days": 21,
        "normal_vials_per_day": 2000.0,
        "normal_source": "user figure",
        "time_limit_s": 20.0,
    }
    values.update(changes)
    return BoardParameters(**values)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _solver_threads_only_where_they_can_see_the_run(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test inside one rolled-back transaction cannot share its run with a solver thread
    (the thread's own connection never sees it): there the run stays queued, as a request
    leaves it, instead of a stray thread failing after the test. Tests that commit
    (`sqlite_flush_guard`, `transactional_db`) keep the real background thread."""
    if {"sqlite_flush_guard", "transactional_db"} & set(request.fixturenames):
        return
    monkeypatch.setattr(runs, "launch", lambda run_id: None)


@pytest.fixture
def demand(world: World) -> World:
    """Rocuronium in rupture; CHU Lille 100 vials/day, CH Roubaix 50 vials/day."""
    supply_status("M03AC09", 1)
    forecast(world, world.hospital_a, world.product, "100")
    forecast(world, world.hospital_b, world.product, "50")
    return world


def later(days: int) -> date:
    return START + timedelta(days=days)


def totp_now(user: object) -> str:
    return pyotp.TOTP(user.totp_secret).now()  # type: ignore[attr-defined]
