"""Log in, open the line dashboard, and watch state and counts change as machine events are
ingested — the page updates itself (status.json polling), the test never reloads it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from rempart.mes.catalog.demo import DEMO_USERS
from rempart.mes.machine.dashboard import line_view
from rempart.mes.machine.services import ingest_machine_events
from tests.mes.machine.test_ingestion import JOURNAL

LIVE_MS = 20_000  # the page polls every 5 s


def _counts_text() -> str:
    counts = line_view().counts
    return ", ".join(f"{state} {n}" for state, n in counts.items()) or "—"


def _upto_vial(n: int) -> int:
    """Index just after the n-th vial_processed entry of the journal."""
    seen = 0
    for index, entry in enumerate(JOURNAL):
        if entry["kind"] == "vial_processed":
            seen += 1
            if seen == n:
                return index + 1
    raise AssertionError(f"no vial {n}")


@pytest.mark.browser
def test_the_dashboard_follows_the_line_without_reloading(
    live_server: LiveServer, browser: Browser
) -> None:
    from rempart.mes.catalog.demo import load_demo

    load_demo(lambda line: None)
    qa = next(u for u in DEMO_USERS if u.username == "qualite")
    third = _upto_vial(3)
    ingest_machine_events("LINE-1", JOURNAL[:third])

    page = browser.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#username", "qualite")
    page.fill("#password", qa.password)
    page.click("#login-submit")
    page.goto(f"{live_server.url}/line/")
    expect(page.locator("#state")).to_have_text(line_view().state)
    expect(page.locator("#batch")).to_have_text("H-001")
    expect(page.locator("#counts")).to_have_text(_counts_text())
    expect(page.locator("#limits")).to_contain_text("3520/m³")
    page.evaluate("window.notReloaded = true")

    ingest_machine_events("LINE-1", JOURNAL[third : _upto_vial(9)])
    expect(page.locator("#counts")).to_have_text(_counts_text(), timeout=LIVE_MS)
    assert sum(line_view().counts.values()) == 9

    ingest_machine_events("LINE-1", JOURNAL[_upto_vial(9) :])  # the batch completes
    expect(page.locator("#state")).to_have_text(line_view().state, timeout=LIVE_MS)
    expect(page.locator("#batch")).to_have_text("—", timeout=LIVE_MS)
    expect(page.locator("#journal")).to_contain_text(f" {len(JOURNAL)}")
    assert page.evaluate("window.notReloaded") is True
    page.close()
