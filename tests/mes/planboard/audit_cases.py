"""The planboard app's GMP models for the audit-capture tests (tests/mes/test_audit_capture.py):
each model with (a text column a change can touch, how to make a clone unique), and
`records(world)` creating at least two rows of each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import models

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.planboard.models import PlanOrder, PlanRun
from tests.mes.conftest import World

CASES: dict[type[models.Model], tuple[str, Callable[[Any], None]]] = {
    PlanRun: ("stage", lambda obj: None),
    PlanOrder: ("refused_reason", lambda obj: None),
}


def records(world: World) -> None:
    """Two runs (one solved), two refused orders of the solved run."""
    with audited_write(Actor.system("tests")):
        runs = [
            PlanRun.objects.create(
                created_by=world.users["pharmacist"],
                start_date=date(2027, 3, 1),
                problem={"name": f"run {i}"},
                time_limit_s=10.0,
                status="done" if i else "queued",
                stage="done" if i else "queued",
                plan={"status": "optimal"} if i else None,
            )
            for i in range(2)
        ]
        for period in (0, 1):
            PlanOrder.objects.create(
                run=runs[1],
                product_code="ROCU-10-10",
                period=period,
                vials=500,
                refused_field="master_record",
                refused_reason="tests",
            )
