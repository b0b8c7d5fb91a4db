"""Log in, approve a master batch record version with password and TOTP, see the signature."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from rempart.mes.accounts.models import User
from rempart.mes.catalog.demo import DEMO_USERS
from rempart.mes.catalog.models import MasterRecord, Product
from rempart.mes.catalog.services import master_records


@pytest.mark.browser
def test_qa_reviewer_approves_a_version_with_an_e_signature(
    live_server: LiveServer, browser: Browser
) -> None:
    from rempart.mes.catalog.demo import load_demo

    load_demo(lambda line: None)
    author = User.objects.get(username="pharmacien")
    product = Product.objects.get(code="ROCU-10-10")
    draft = master_records.create_draft(author, product, {"diluent": "NaCl 0,9 %"})
    master_records.submit_for_review(author, draft)
    qa = next(u for u in DEMO_USERS if u.username == "qualite")

    page = browser.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#username", "qualite")
    page.fill("#password", "not the password")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_be_visible()
    page.fill("#username", "qualite")
    page.fill("#password", qa.password)
    page.click("#login-submit")
    page.click("#link-records")
    page.goto(f"{live_server.url}/catalog/master-records/{draft.pk}/")
    expect(page.locator("#unsigned")).to_be_visible()
    page.click("#sign-approve")
    page.fill("#password", qa.password)
    page.fill("#totp_code", "000000")
    page.click("#sign-submit")
    expect(page.locator("#sign-error")).to_contain_text("totp_code")
    page.fill("#password", qa.password)
    page.fill("#totp_code", pyotp.TOTP(qa.totp_secret).now())
    page.click("#sign-submit")
    signature = page.locator("#signatures .signature")
    expect(signature).to_contain_text("Marc Lefebvre")
    expect(signature).to_contain_text("approved")
    expect(signature).to_contain_text("(Europe/Paris)")
    expect(page.locator("#record-state")).to_contain_text("approved")
    page.close()
    draft.refresh_from_db()
    assert draft.state == "approved"
    assert MasterRecord.objects.get(product=product, version=1).state == "superseded"
