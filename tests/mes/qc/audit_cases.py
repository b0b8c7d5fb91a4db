"""The qc app's GMP models for the audit-capture tests (tests/mes/test_audit_capture.py):
each model with (a text column a change can touch, how to make a clone unique), and
`records(world)` creating at least two rows of each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import models

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.qc.models import (
    QcResult,
    QcSample,
    Specification,
    ViableEmBatch,
    ViableEmResult,
)
from tests.mes.conftest import World

MOMENT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _next_version(obj: Specification) -> None:
    obj.version += 100


def _other_kind(obj: QcSample) -> None:
    obj.sample_id += "-C"
    obj.kind = "visual_inspection"


def _free_sample(obj: QcResult) -> None:
    obj.sample = QcSample.objects.filter(result__isnull=True).exclude(kind="retention").first()  # type: ignore[assignment]


def _other_batch(obj: ViableEmBatch) -> None:
    obj.batch_number += "-C"


CASES: dict[type[models.Model], tuple[str, Callable[[Any], None]]] = {
    Specification: ("method", _next_version),
    QcSample: ("location", _other_kind),
    QcResult: ("value", _free_sample),
    ViableEmResult: ("location", lambda obj: None),
    ViableEmBatch: ("batch_number", _other_batch),
}


def records(world: World) -> None:
    """Specifications, three samples of AC-001 (two with results), two EM plates."""
    qc = world.users["qc"]
    batch = Batch.objects.get(batch_number="AC-001")
    with audited_write(Actor.system("tests")):
        specs = [
            Specification.objects.create(
                product=world.product,
                test=test,
                version=1,
                method="m",
                expected="no growth" if test == "sterility" else "",
                upper_limit=None if test == "sterility" else 105,
                created_by="tests",
            )
            for test in ("sterility", "assay")
        ]
        samples = [
            QcSample.objects.create(
                batch=batch, sample_id=f"AC-001-{kind[:3]}", kind=kind, units=2, taken_at=MOMENT
            )
            for kind in ("sterility", "assay", "endotoxins")
        ]
        for spec, sample in zip(specs, samples[:2], strict=True):
            QcResult.objects.create(
                sample=sample,
                specification=spec,
                value="1",
                status="passed",
                analyst=qc,
                analyst_name=qc.printed_name,
            )
        for location in ("needles", "glove port 1"):
            em = ViableEmResult.objects.create(
                line_id="LINE-1",
                location=location,
                grade="A",
                sample_type="settle_plate",
                cfu=0,
                sampled_at=MOMENT,
                read_at=MOMENT,
                level="ok",
                entered_by="tests",
            )
            ViableEmBatch.objects.create(result=em, batch_number="AC-001")
