from datetime import date

import pytest

from rempart.domain.errors import InvalidValue
from rempart.shortage.alerts import AlertKind, WatchedProduct, compute_alerts
from rempart.shortage.bdpm import SupplyStatus
from rempart.shortage.coverage import (
    QuarantineLot,
    SiteStock,
    average_daily_consumption,
    days_of_cover,
    regional_cover,
    stock_out_date,
)
from rempart.shortage.matching import MoleculeSupply, SpecialtyStatus

TODAY = date(2026, 11, 25)


def test_released_stock_only() -> None:
    assert days_of_cover(100, [], 10, TODAY) == pytest.approx(10.0)
    assert days_of_cover(105, [], 10, TODAY) == pytest.approx(10.5)
    assert days_of_cover(0, [], 10, TODAY) == 0.0
    assert days_of_cover(50, [], 0, TODAY) is None


def test_quarantine_counts_from_its_release_date() -> None:
    # 30 vials last 3 days; a lot of 50 released on day 5 arrives after the stock-out.
    assert days_of_cover(30, [QuarantineLot(50, date(2026, 11, 30))], 10, TODAY) == pytest.approx(
        3.0
    )
    # Released on day 2 (before running out): 80 vials in all, 8 days.
    assert days_of_cover(30, [QuarantineLot(50, date(2026, 11, 27))], 10, TODAY) == pytest.approx(
        8.0
    )
    # A lot whose release date is past counts today.
    assert days_of_cover(0, [QuarantineLot(20, date(2026, 11, 1))], 10, TODAY) == pytest.approx(2.0)


def test_cover_is_capped_and_inputs_checked() -> None:
    assert days_of_cover(10_000, [], 1, TODAY, horizon_days=30) == 30.0
    with pytest.raises(InvalidValue):
        days_of_cover(-1, [], 1, TODAY)
    with pytest.raises(InvalidValue):
        days_of_cover(1, [], -1, TODAY)
    assert stock_out_date(10.5, TODAY) == date(2026, 12, 5)


def test_average_consumption_counts_quiet_days() -> None:
    moves = {date(2026, 11, 1): 30, date(2026, 11, 10): 30, date(2026, 12, 1): 999}
    assert average_daily_consumption(moves, date(2026, 11, 1), date(2026, 11, 30)) == 2.0


def test_regional_cover_pools_sites() -> None:
    sites = [
        SiteStock("central", 600, (QuarantineLot(300, date(2026, 12, 1)),), 0.0),
        SiteStock("CHU-LILLE", 100, (), 20.0),
        SiteStock("CH-LENS", 20, (), 10.0),
    ]
    assert regional_cover(sites, TODAY) == pytest.approx(34.0)


def _supply(status: SupplyStatus) -> MoleculeSupply:
    return MoleculeSupply(
        inn="mivacurium",
        atc="M03AC10",
        specialties=(),
        statuses=(
            SpecialtyStatus("66387380", "MIVACRON 10 mg/5 ml", status, TODAY, TODAY, None, "u"),
        ),
    )


PRODUCT = WatchedProduct("MIVA-2-10", "Mivacurium 2 mg/mL, 10 mL", "mivacurium")


def test_alert_raised_and_cleared() -> None:
    raised = compute_alerts(
        [PRODUCT], {"mivacurium": _supply(SupplyStatus.TENSION)}, {"MIVA-2-10": 40.0}
    )
    assert [a.kind for a in raised] == [AlertKind.SUPPLY_TENSION, AlertKind.LOW_COVER]
    assert "1 of 1 specialties" in raised[0].message
    assert "40.0 days" in raised[1].message
    cleared = compute_alerts(
        [PRODUCT], {"mivacurium": _supply(SupplyStatus.BACK_IN_SUPPLY)}, {"MIVA-2-10": 75.0}
    )
    assert cleared == []
    assert (
        compute_alerts([PRODUCT], {}, {"MIVA-2-10": 75.0}, threshold_days=90)[0].kind
        is AlertKind.LOW_COVER
    )
    rupture = compute_alerts(
        [PRODUCT], {"mivacurium": _supply(SupplyStatus.RUPTURE)}, {"MIVA-2-10": None}
    )
    assert [a.kind for a in rupture] == [AlertKind.SUPPLY_RUPTURE]
