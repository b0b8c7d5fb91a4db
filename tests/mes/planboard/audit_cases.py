"""The planboard app's GMP models for the audit-capture tests (tests/mes/test_audit_capture.py):
each model with (a text column a change can touch, how to make a clone unique), and
`records(world)` creating at least two rows of each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from tests.mes.conftest import World

CASES: dict[type[models.Model], tuple[str, Callable[[Any], None]]] = {}


def records(world: World) -> None:
    """No GMP model yet."""
