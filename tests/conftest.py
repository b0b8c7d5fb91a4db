"""Suite-wide fixtures and rules.

`make test` runs the whole suite on SQLite, then every test that touches the database again
on a throwaway PostgreSQL cluster (`-m db`). Tests that use the database are marked `db`
here automatically, so none can be forgotten in the PostgreSQL run. When the PostgreSQL run
is requested (REMPART_TEST_EXPECT_DB=postgresql), a session that finds another database
fails at once instead of passing on SQLite.
"""

from __future__ import annotations

import os

import pytest

DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "live_server",
    "django_db_serialized_rollback",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark database tests `db` before `-m` deselects anything."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("django_db") or fixtures & DB_FIXTURES:
            item.add_marker(pytest.mark.db)


class _BrowserTestsLast:
    """Browser tests run last (after pytest-django's own ordering): Playwright's sync API
    holds an event loop on the main thread while a browser is open."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_BrowserTestsLast(), "rempart-browser-tests-last")


@pytest.fixture(scope="session", autouse=True)
def _expected_database_vendor(request: pytest.FixtureRequest) -> None:
    expected = os.environ.get("REMPART_TEST_EXPECT_DB")
    if expected:
        from django.db import connection

        assert connection.vendor == expected, (
            f"this run must use {expected}, but Django is configured for {connection.vendor}"
        )
