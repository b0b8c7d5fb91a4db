"""The release app's GMP models for the audit-capture tests (tests/mes/test_audit_capture.py):
each model with (a text column a change can touch, how to make a clone unique), and
`records(world)` creating at least two rows of each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.release.models import AuditTrailReview, FilterIntegrityTest, ReleaseDecision
from tests.mes.conftest import World

MOMENT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _free_batch(obj: ReleaseDecision) -> None:
    obj.batch = Batch.objects.filter(release_decision__isnull=True).first()  # type: ignore[assignment]


CASES: dict[type[models.Model], tuple[str, Callable[[Any], None]]] = {
    AuditTrailReview: ("comment", lambda obj: None),
    ReleaseDecision: ("comment", _free_batch),
    FilterIntegrityTest: ("filter_lot", lambda obj: None),
}


def records(world: World) -> None:
    """Two reviews and two decisions on batches of their own (a third stays undecided), and
    two filter integrity tests."""
    pharmacist = world.users["pharmacist"]
    with audited_write(Actor.system("tests")):
        batches = [
            Batch.objects.create(
                batch_number=number,
                master_record=world.record,
                product=world.product,
                quantity_vials=100,
                planned_start=MOMENT,
                ordered_by=world.users["technician"],
            )
            for number in ("RL-001", "RL-002", "RL-003")
        ]
        for batch, decision in zip(batches[:2], ("released", "rejected"), strict=True):
            AuditTrailReview.objects.create(
                batch=batch, reviewer=world.users["qa"], reviewer_name="Qa Test", comment="ok"
            )
            ReleaseDecision.objects.create(
                batch=batch,
                decision=decision,
                pharmacist=pharmacist,
                pharmacist_name=pharmacist.printed_name,
                comment="tests",
            )
        for batch, (lot, value) in zip(
            batches[:2], (("F-001", Decimal("3.6")), ("F-002", Decimal("2.9"))), strict=True
        ):
            FilterIntegrityTest.objects.create(
                batch=batch,
                filter_lot=lot,
                method="bubble_point",
                value=value,
                limit=Decimal("3.2"),
                unit="bar",
                passed=value >= Decimal("3.2"),
            )
