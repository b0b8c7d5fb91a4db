"""One record of every batch-execution GMP model, for the audit-capture tests."""

from __future__ import annotations

from datetime import UTC, datetime

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch, BatchEvent, LineClearance
from rempart.mes.machine.models import (
    Alarm,
    DataGap,
    Intervention,
    MachineEvent,
    Reconciliation,
)
from rempart.mes.quality.models import Deviation, DeviationBatch
from tests.mes.conftest import World

MOMENT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def batch_records(world: World) -> None:
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
            for number in ("AC-001", "AC-002")
        ]
        BatchEvent.objects.create(batch=batches[0], target="planned", actor="tests")
        LineClearance.objects.create(batch=batches[0], checks="no previous material")
        deviation = Deviation.objects.create(
            title="t", description="d", source="manual", opened_by="tests"
        )
        DeviationBatch.objects.create(deviation=deviation, batch_number="AC-001")
        MachineEvent.objects.create(
            line_id="LINE-1", sequence=1, kind="state_changed", timestamp=MOMENT, data={}
        )
        Alarm.objects.create(
            line_id="LINE-1",
            alarm_id="AL1",
            code="cap_jam",
            station="capping",
            severity="fault",
            raised_at=MOMENT,
        )
        Intervention.objects.create(
            line_id="LINE-1", intervention_id="IV1", type="inherent", name="x", started_at=MOMENT
        )
        Reconciliation.objects.create(
            batch_number="AC-001",
            reason="quantity_reached",
            vials_issued=1,
            accepted=1,
            rejected=0,
            qc_samples=0,
            destroyed=0,
            vial_records=1,
            balanced=True,
            ended_at=MOMENT,
        )
        DataGap.objects.create(line_id="LINE-1", first_sequence=5, last_sequence=6)


def free_batch_id(obj: LineClearance) -> None:
    obj.batch = Batch.objects.filter(clearance__isnull=True).first()  # type: ignore[assignment]
