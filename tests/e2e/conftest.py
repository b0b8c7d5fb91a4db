"""A real browser (Debian's chromium, never a downloaded one) against the live server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections
from playwright.sync_api import Browser, sync_playwright

from rempart.mes.audit.triggers import drop_all

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One browser for the e2e package, closed when it ends: Playwright's sync API holds an
    event loop on the main thread while open, which would break later asyncio tests."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _sqlite_triggers_off_before_flush(transactional_db: None) -> Iterator[None]:
    """The live server's test is transactional; SQLite flushes with DELETE, which the guard
    triggers refuse. The flush's post_migrate signal installs them again."""
    yield
    for connection in connections.all():
        if connection.vendor == "sqlite":
            drop_all(connection)
