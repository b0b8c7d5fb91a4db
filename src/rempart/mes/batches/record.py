"""The electronic batch record of one batch, assembled for its page (read only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Max, Min

from rempart.mes.batches.models import Batch, BatchEvent, LineClearance
from rempart.mes.machine.models import (
    Alarm,
    DataGap,
    Intervention,
    MachineEvent,
    ParticleReading,
    Reconciliation,
    VialRecord,
)
from rempart.mes.quality.models import Deviation
from rempart.mes.signatures.services import ShownSignature, signatures_of


@dataclass
class BatchRecord:
    batch: Batch
    events: list[BatchEvent]
    clearance: LineClearance | None
    clearance_signatures: list[ShownSignature]
    vial_states: dict[str, int]
    reject_reasons: dict[str, int]
    fill_ipc: dict[str, int]
    fill: dict[str, Any]
    reconciliation: Reconciliation | None
    deviations: list[Deviation]
    gaps: list[DataGap]
    particles: dict[str, Any]
    alarms: list[Alarm]
    interventions: list[Intervention]

    @property
    def blockers(self) -> list[str]:
        found = [f"{d.number} open" for d in self.deviations if d.status == "open"]
        found += [
            f"data gap {g.first_sequence}-{g.last_sequence} unresolved"
            for g in self.gaps
            if g.resolved_at is None
        ]
        if self.reconciliation is not None and not self.reconciliation.balanced:
            found.append("reconciliation mismatch")
        return found


def batch_record(batch: Batch) -> BatchRecord:
    number = batch.batch_number
    clearance = LineClearance.objects.filter(batch=batch).first()
    vials = VialRecord.objects.filter(batch_number=number)
    window = MachineEvent.objects.filter(batch_number=number).aggregate(
        first=Min("timestamp"), last=Max("timestamp")
    )
    readings = ParticleReading.objects.filter(line_id=batch.line_id)
    if window["first"] is not None:
        readings = readings.filter(measured_at__range=(window["first"], window["last"]))
    else:
        readings = readings.none()
    return BatchRecord(
        batch=batch,
        events=list(batch.events.all()),
        clearance=clearance,
        clearance_signatures=signatures_of(clearance) if clearance else [],
        vial_states={
            r["terminal_state"]: r["n"]
            for r in vials.values("terminal_state").annotate(n=Count("id"))
        },
        reject_reasons={
            r["reject_reason"]: r["n"]
            for r in vials.exclude(reject_reason=None)
            .values("reject_reason")
            .annotate(n=Count("id"))
            .order_by("-n")
        },
        fill_ipc={
            r["fill_ipc"]: r["n"]
            for r in vials.exclude(fill_ipc="").values("fill_ipc").annotate(n=Count("id"))
        },
        fill=vials.aggregate(
            n=Count("fill_ml"),
            min_ml=Min("fill_ml"),
            mean_ml=Avg("fill_ml"),
            max_ml=Max("fill_ml"),
            max_abs_dev=Max("fill_deviation_pct"),
            min_dev=Min("fill_deviation_pct"),
        ),
        reconciliation=Reconciliation.objects.filter(batch_number=number).first(),
        deviations=list(Deviation.objects.filter(batches__batch_number=number).distinct()),
        gaps=list(DataGap.objects.filter(batch_number=number)),
        particles={
            **readings.aggregate(
                n=Count("id"),
                max_0_5=Max("count_0_5um_per_m3"),
                max_5=Max("count_5um_per_m3"),
            ),
            "alert": readings.filter(level="alert").count(),
            "action": readings.filter(level="action").count(),
        },
        alarms=list(Alarm.objects.filter(batch_number=number)),
        interventions=list(Intervention.objects.filter(batch_number=number)),
    )
