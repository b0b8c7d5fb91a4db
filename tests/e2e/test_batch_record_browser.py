"""Log in, open the record of a batch the line has filled (machine data ingested), see the
fill-weight IPC chart and the vial summary, then put the batch on hold with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.catalog.demo import DEMO_USERS
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.machine.services import ingest_machine_events
from tests.mes.machine.test_ingestion import twin_journal

NUMBER, VIALS = "BR-001", 40


@pytest.mark.browser
def test_the_batch_record_shows_the_ipc_chart_and_the_batch_is_held(
    live_server: LiveServer, browser: Browser
) -> None:
    from rempart.mes.catalog.demo import load_demo

    load_demo(lambda line: None)
    record = MasterRecord.objects.select_related("product").get(
        product__code="ROCU-10-10", state="approved"
    )
    with audited_write(Actor.system("tests")):
        Batch.objects.create(
            batch_number=NUMBER,
            master_record=record,
            product=record.product,
            quantity_vials=VIALS,
            planned_start=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
            state="filling",
            ordered_by=record.author,
        )
    ingest_machine_events("LINE-1", twin_journal(NUMBER, VIALS))
    qa = next(u for u in DEMO_USERS if u.username == "qualite")

    page = browser.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#username", "qualite")
    page.fill("#password", qa.password)
    page.click("#login-submit")
    page.goto(f"{live_server.url}/batches/{NUMBER}/")
    expect(page.locator("#state")).to_contain_text("quarantine")
    chart = page.locator("svg#ipc-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("polyline")).to_have_count(1)
    expect(chart.locator("line")).to_have_count(5)  # target, two alert, two action limits
    expect(page.locator("#vials")).to_contain_text("Terminal states")
    expect(page.locator("#reconciliation")).to_contain_text(f"{VIALS} issued")

    page.fill("#hold-reason", "")
    page.click("#hold")  # the browser refuses an empty reason (required): nothing sent
    expect(page.locator("#state")).to_contain_text("quarantine")
    page.fill("#hold-reason", "fill-weight trend under investigation")
    page.click("#hold")
    expect(page.locator("#state")).to_contain_text("on hold (held from quarantine)")
    expect(page.locator("body")).to_contain_text("fill-weight trend under investigation")
    expect(page.locator("#resume")).to_be_visible()
    page.close()
    assert Batch.objects.get(batch_number=NUMBER).state == "on_hold"
