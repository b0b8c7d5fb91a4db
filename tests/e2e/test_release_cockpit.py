"""In a browser: QA sees the batch's exceptions on the release cockpit and signs the audit
trail review; the pharmacist then sees it clear, is refused with a wrong code, and signs
the release with password and TOTP; the lot is released with its expiry."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from rempart.mes.accounts.models import User
from rempart.mes.stock.models import Lot
from tests.mes.conftest import PASSWORD, World, world  # noqa: F401 - the world fixture
from tests.mes.qc.factories import ended_batch, pass_all, specifications
from tests.mes.release.conftest import filter_test


def log_in(browser: Browser, url: str, user: User) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{url}/accounts/login/")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    return page


def sign(page: Page, form: str, user: User, code: str | None = None) -> None:
    page.fill(f"{form} input[name=password]", PASSWORD)
    page.fill(f"{form} input[name=totp_code]", code or pyotp.TOTP(user.totp_secret).now())
    page.click(f"{form} button[type=submit]")


@pytest.mark.browser
def test_review_and_release_from_the_cockpit(
    live_server: LiveServer,
    browser: Browser,
    world: World,  # noqa: F811
) -> None:
    specifications(world.users["qc"], world.product)
    batch = ended_batch(world, "WEB-001")
    pass_all(world.users["qc"], batch)
    filter_test(world, batch)
    qa, pharmacist = world.users["qa"], world.users["pharmacist"]

    page = log_in(browser, live_server.url, qa)
    page.goto(f"{live_server.url}/release/")
    row = page.locator('#cockpit tr[data-batch="WEB-001"]')
    expect(row.locator('[data-code="audit_trail_not_reviewed"]')).to_be_visible()
    row.locator("a").click()
    expect(page.locator("#qc")).to_contain_text("WEB-001-STE")
    expect(page.locator("#release-form")).to_have_count(0)  # QA reviews, never releases
    sign(page, "#review-form", qa)
    expect(page.locator("#decisions")).to_contain_text("reviewed")
    expect(page.locator("#clear")).to_be_visible()
    page.close()

    page = log_in(browser, live_server.url, pharmacist)
    page.goto(f"{live_server.url}/release/")
    row = page.locator('#cockpit tr[data-batch="WEB-001"]')
    expect(row.locator("[data-code]")).to_have_count(0)
    row.locator("a").click()
    sign(page, "#release-form", pharmacist, code="000000")
    expect(page.locator(".messages")).to_contain_text("totp_code")
    sign(page, "#release-form", pharmacist)
    expect(page.locator(".messages")).to_be_visible()
    expect(page.locator("#decisions")).to_contain_text("released")
    expect(page.locator("#decisions")).to_contain_text(pharmacist.printed_name)
    expect(page.locator("#decisions")).to_contain_text("(Europe/Paris)")
    page.goto(f"{live_server.url}/qc/quarantine/")
    expect(page.locator("#released")).to_contain_text("WEB-001")
    expect(page.locator("#quarantined")).not_to_contain_text("WEB-001")
    page.close()
    lot = Lot.objects.get(lot_number="WEB-001")
    assert (lot.status, lot.expiry_date.isoformat()) == ("released", "2026-07-04")  # type: ignore[union-attr]
