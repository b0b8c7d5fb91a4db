"""Cover arithmetic through the services, and alerts raised, e-mailed once, then cleared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from pytest_django.fixtures import Settings as SettingsWrapper

from rempart.mes.catalog.models import Product
from rempart.mes.core.errors import NotPermitted, Refused
from rempart.mes.supply.alerting import open_alerts, refresh_alerts
from rempart.mes.supply.cover import coverage
from rempart.mes.supply.inputs import enter_forecast, enter_stock
from rempart.mes.supply.models import SupplyAlert
from rempart.mes.supply.services import import_bdpm_files
from rempart.shortage.bdpm import ErrorPolicy

from ..conftest import World
from .conftest import availability_back_in_supply, shipped, shipped_files


def test_cover_per_hospital_and_pooled_for_the_region(world: World) -> None:
    today = datetime.now(UTC).date()
    pharmacist, product = world.users["pharmacist"], world.product
    a, b = world.hospital_a, world.hospital_b
    enter_stock(pharmacist, a, product, today, 100, 200, today + timedelta(days=5))
    enter_forecast(pharmacist, a, product, Decimal("10"), today - timedelta(days=1), None)
    enter_stock(pharmacist, b, product, today, 500)
    enter_forecast(pharmacist, b, product, Decimal("5"), today, today + timedelta(days=90))
    (cover,) = coverage(today)
    by_site = {s.hospital.code: s.days for s in cover.sites}
    # A: 100 vials last 10 days, but 200 more are released on day 5: (100 + 200) / 10 = 30.
    assert by_site == {"CHU-LILLE": pytest.approx(30.0), "CH-ROUBAIX": pytest.approx(100.0)}
    # Region: 800 vials pooled against 15 a day.
    assert cover.regional_days == pytest.approx(800 / 15)


def test_a_later_forecast_replaces_the_earlier_one(world: World) -> None:
    today = datetime.now(UTC).date()
    pharmacist, product, a = world.users["pharmacist"], world.product, world.hospital_a
    enter_stock(pharmacist, a, product, today, 600)
    enter_forecast(pharmacist, a, product, Decimal("10"), today, None)
    enter_forecast(pharmacist, a, product, Decimal("20"), today, None)
    enter_forecast(pharmacist, a, product, Decimal("1"), today + timedelta(days=3), None)
    (cover,) = coverage(today)
    assert cover.regional_days == pytest.approx(30.0)


def test_bad_inputs_are_refused_by_field(world: World) -> None:
    today = datetime.now(UTC).date()
    pharmacist, product, a = world.users["pharmacist"], world.product, world.hospital_a
    with pytest.raises(Refused) as refused:
        enter_stock(pharmacist, a, product, today, 10, 5, None)
    assert refused.value.field == "release_date"
    with pytest.raises(Refused) as refused:
        enter_forecast(pharmacist, a, product, Decimal("1"), today, today - timedelta(days=1))
    assert refused.value.field == "valid_until"
    with pytest.raises(NotPermitted):
        enter_forecast(world.users["orderer_a"], a, product, Decimal("1"), today, None)


def test_low_cover_alert_raised_then_cleared(world: World, settings: SettingsWrapper) -> None:
    settings.SUPPLY_ALERT_EMAILS = ["pui@example.org"]
    today = datetime.now(UTC).date()
    pharmacist, product, a = world.users["pharmacist"], world.product, world.hospital_a
    enter_forecast(pharmacist, a, product, Decimal("10"), today, None)
    enter_stock(pharmacist, a, product, today, 300)
    (alert,) = open_alerts()
    assert (alert.product.code, alert.kind) == ("ROCU-10-10", "low_cover")
    assert "regional cover 30.0 days, under the 60-day threshold" in alert.message
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["pui@example.org"]
    # A configurable threshold: under 25 days only, the alert clears.
    refresh = refresh_alerts(threshold_days=25)
    assert [c.pk for c in refresh.cleared] == [alert.pk]
    assert not open_alerts()
    # Back under the default threshold: a new alert (and a new e-mail); then stock arrives.
    refresh_alerts()
    assert len(mail.outbox) == 2
    enter_stock(pharmacist, a, product, today, 1000)
    assert not open_alerts()
    assert SupplyAlert.objects.filter(cleared_at__isnull=False).count() == 2


def test_supply_alert_e_mailed_once_and_cleared(
    world: World, mivacurium: Product, settings: SettingsWrapper
) -> None:
    settings.SUPPLY_ALERT_EMAILS = ["pui@example.org", "garde@example.org"]
    qa = world.users["qa"]
    import_bdpm_files(shipped_files(), ErrorPolicy.FAIL, qa)
    (alert,) = open_alerts()
    assert (alert.product.code, alert.kind) == ("MIVA-2-5", "supply_tension")
    assert alert.message.startswith("mivacurium: tension d'approvisionnement for 2 of 2")
    assert alert.emailed_at is not None
    assert len(mail.outbox) == 1
    assert "MIVA-2-5" in mail.outbox[0].body
    # The same state imported again: the alert stays open, nobody is e-mailed again.
    availability = shipped("CIS_CIP_Dispo_Spec.txt")
    import_bdpm_files([("CIS_CIP_Dispo_Spec.txt", availability)], ErrorPolicy.FAIL, qa)
    assert [a.pk for a in open_alerts()] == [alert.pk]
    assert len(mail.outbox) == 1
    # Back in supply: cleared, kept as cleared.
    later = [("CIS_CIP_Dispo_Spec.txt", availability_back_in_supply())]
    import_bdpm_files(later, ErrorPolicy.FAIL, qa)
    assert not open_alerts()
    alert.refresh_from_db()
    assert alert.cleared_at is not None
    assert len(mail.outbox) == 1


def test_no_recipients_no_e_mail(world: World, settings: SettingsWrapper) -> None:
    settings.SUPPLY_ALERT_EMAILS = []
    today = datetime.now(UTC).date()
    pharmacist, product, a = world.users["pharmacist"], world.product, world.hospital_a
    enter_forecast(pharmacist, a, product, Decimal("10"), today, None)
    (alert,) = open_alerts()
    assert alert.emailed_at is None
    assert not mail.outbox


def test_a_count_made_days_ago_is_projected_to_today(world: World) -> None:
    today = datetime.now(UTC).date()
    pharmacist, product, a = world.users["pharmacist"], world.product, world.hospital_a
    ten_days_ago = today - timedelta(days=10)
    enter_forecast(pharmacist, a, product, Decimal("10"), ten_days_ago, None)
    # 300 released and 100 in quarantine released 4 days ago: 300 + 100 - 10 x 10 = 300 today.
    enter_stock(pharmacist, a, product, ten_days_ago, 300, 100, today - timedelta(days=4))
    (cover,) = coverage(today)
    (site,) = cover.sites
    assert (site.released_vials, site.quarantine_vials) == (300, 0)
    assert cover.regional_days == pytest.approx(30.0)


def test_cli_check(world: World) -> None:
    from typer.testing import CliRunner

    from rempart.cli.main import app

    today = datetime.now(UTC).date()
    enter_forecast(
        world.users["pharmacist"], world.hospital_a, world.product, Decimal("5"), today, None
    )
    result = CliRunner().invoke(app, ["shortage", "check"])
    assert result.exit_code == 0, result.output
    assert "0 raised, 0 cleared, 1 open" in result.output
    assert "ROCU-10-10: " in result.output
