"""The planning board in a browser: build a plan from the database, watch it solve in the
background, see the Gantt chart, accept it with an e-signature, batch orders created."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pyotp
import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from rempart.mes.accounts.models import User
from rempart.mes.batches.models import Batch
from rempart.mes.catalog.demo import DEMO_USERS
from rempart.mes.catalog.models import Hospital, Product
from rempart.mes.planboard.models import PlanOrder, PlanRun
from rempart.mes.supply.models import ConsumptionForecast
from tests.mes.batches.factories import line_ready
from tests.mes.planboard.conftest import supply_status


@pytest.mark.browser
def test_build_solve_see_the_gantt_accept_and_order(
    live_server: LiveServer, browser: Browser
) -> None:
    from rempart.mes.catalog.demo import load_demo

    load_demo(lambda line: None)
    pharmacist = User.objects.get(username="pharmacien")
    product = Product.objects.get(code="ROCU-10-10")
    users = {"pharmacist": pharmacist, "technician": User.objects.get(username="preparateur")}
    line_ready(SimpleNamespace(users=users, product=product))  # type: ignore[arg-type]
    supply_status(product.molecule.atc, 1)  # rocuronium in rupture: the line must fill
    start = datetime.now(UTC).date() + timedelta(days=1)
    for hospital, per_day in zip(Hospital.objects.order_by("code")[:2], ("100", "60"), strict=True):
        ConsumptionForecast.objects.create(
            hospital=hospital,
            product=product,
            vials_per_day=Decimal(per_day),
            valid_from=start,
            entered_by=pharmacist,
        )
    secret = next(u for u in DEMO_USERS if u.username == "pharmacien")

    page = browser.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#username", "pharmacien")
    page.fill("#password", secret.password)
    page.click("#login-submit")
    page.goto(f"{live_server.url}/planning/")
    page.click("#new-run-box summary")
    page.fill("#id_start", start.isoformat())
    page.fill("#id_days", "21")
    page.fill("#id_normal_vials_per_day", "2000")
    page.fill("#id_time_limit_s", "20")
    page.click("#build-solve")
    # The page answers at once with the run queued or solving, then polls until it ends.
    expect(page.locator("#run-progress")).to_be_visible()
    expect(page.locator("#gantt")).to_be_visible(timeout=120_000)
    run = PlanRun.objects.get()
    assert run.status == "done"
    width = page.evaluate("document.getElementById('gantt').naturalWidth")
    assert width > 0  # the SVG chart really loaded (served by this origin, no CDN)
    expect(page.locator("#shortages")).to_contain_text("qc_lead_time")
    expect(page.locator("#cover")).to_contain_text("ROCU-10-10")

    page.click("#accept-plan")
    page.fill("#id_password", secret.password)
    page.fill("#id_totp_code", "000000")
    page.click("#accept-submit")
    expect(page.locator("#sign-error")).to_contain_text("totp_code")
    assert not Batch.objects.exists()
    page.fill("#id_password", secret.password)
    page.fill("#id_totp_code", pyotp.TOTP(secret.totp_secret).now())
    page.click("#accept-submit")
    expect(page.locator("#accepted")).to_contain_text("Claire Dubois")
    made = page.locator("#orders tr.made")
    expect(made.first).to_be_visible()
    shown = made.count()
    # The plan page's charts are rendered on request: let their requests end before the
    # page closes, so that no server thread still reads the database at teardown.
    page.wait_for_load_state("networkidle")
    page.close()
    batches = Batch.objects.filter(batch_number__startswith=f"PB{run.pk}-")
    assert batches.count() == shown > 0
    assert batches.count() == PlanOrder.objects.filter(run=run, batch__isnull=False).count()
    assert {b.state for b in batches} == {"planned"}
