"""The machine app's GMP models for the audit-capture tests (tests/mes/test_audit_capture.py):
each model with (a text column a change can touch, how to make a clone unique), and
`records(world)` creating at least two rows of each.

`MachineEvent` is no longer captured field by field (decision note 0011: guard triggers
refuse UPDATE and DELETE, each page is sealed by an audited `JournalPage`); its cases are in
tests/mes/machine/test_journal_seal.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.machine.models import JournalPage, MediaFill, ParticleLimitSet
from tests.mes.conftest import World


def _next_version(obj: ParticleLimitSet) -> None:
    obj.version = f"{obj.version}-2"


CASES: dict[type[models.Model], tuple[str, Callable[[Any], None]]] = {
    JournalPage: ("sequences", lambda obj: None),
    ParticleLimitSet: ("rationale", _next_version),
    MediaFill: ("interventions", lambda obj: None),
}


def records(world: World) -> None:
    with audited_write(Actor.system("tests")):
        for first in (1, 1001):
            JournalPage.objects.create(
                line_id="LINE-AUDIT",
                first_sequence=first,
                last_sequence=first + 999,
                count=1000,
                sequences=f"{first}-{first + 999}",
                sha256="0" * 64,
            )
        for version in ("SITE-A", "SITE-B"):
            ParticleLimitSet.objects.create(
                version=version,
                alert_0_5um=1500,
                alert_5um=8,
                action_0_5um=3520,
                action_5um=29,
                effective_from=datetime(2026, 1, 1, tzinfo=UTC),
                rationale="trend 2025",
                proposed_by="tests",
            )
        for day in (1, 2):
            MediaFill.objects.create(
                line_id="LINE-AUDIT",
                performed_on=date(2025, 12, day),
                interventions="fill_weight_check\nsettle_plate_change",
                max_batch_vials=5000,
                max_duration_h=Decimal("8"),
                recorded_by="tests",
            )
