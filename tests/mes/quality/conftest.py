"""The quality pages are served from the app's own URL conf (see tests/mes/batches/urls.py)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _quality_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.mes.batches.urls"
