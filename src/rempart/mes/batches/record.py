"""The electronic batch record of one batch, assembled for its page (read only).

Everything per vial is aggregated in the database (counts, statistics, and the IPC chart,
downsampled to at most `CHART_BUCKETS` buckets of vial sequence with min/mean/max each), so
the page costs a fixed number of queries whatever the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, ExpressionWrapper, F, IntegerField, Max, Min

from rempart.domain.errors import DomainError
from rempart.domain.master_record import FillWeightLimits, fill_weight_limits
from rempart.domain.units import Millilitres
from rempart.mes.batches.models import Batch, BatchEvent, ComponentLot, LineClearance
from rempart.mes.batches.preparation import CompoundingSheet, compounding_sheet
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
    sheet: CompoundingSheet
    component_lots: list[ComponentLot]
    line_state_signatures: dict[str, list[ShownSignature]]
    ipc_chart: dict[str, Any] | None

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


CHART_W, CHART_H = 720, 240
#: At most this many points along the vial sequence (each a bucket's min, mean and max).
CHART_BUCKETS = 240
#: Alert and action vials drawn one by one, at most this many.
CHART_MARKS = 400


def _limits(batch: Batch) -> FillWeightLimits | None:
    record = batch.master_record
    try:
        return fill_weight_limits(
            fill_volume=Millilitres(batch.product.fill_volume_ml),
            density_g_per_ml=Decimal(record.density_g_per_ml),
            alert_pct=Decimal(record.fill_weight_alert_pct),
            action_pct=Decimal(record.fill_weight_action_pct),
        )
    except DomainError:
        return None


def ipc_chart(batch: Batch) -> dict[str, Any] | None:
    """Fill weight (g = mL × density) over the vial sequence, with the master record's
    alert and action limits: SVG coordinates, no script."""
    limits = _limits(batch)
    vials = VialRecord.objects.filter(batch_number=batch.batch_number, fill_ml__isnull=False)
    span = vials.aggregate(
        n=Count("id"),
        first=Min("vial_sequence"),
        last=Max("vial_sequence"),
        lo=Min("fill_ml"),
        hi=Max("fill_ml"),
    )
    if limits is None or not span["n"]:
        return None
    density = float(batch.master_record.density_g_per_ml)
    first, last = int(span["first"]), int(span["last"])
    width = max(1, -(-(last - first + 1) // CHART_BUCKETS))
    buckets = list(
        vials.annotate(
            bucket=ExpressionWrapper(
                (F("vial_sequence") - first) / width, output_field=IntegerField()
            )
        )
        .values("bucket")
        .annotate(lo=Min("fill_ml"), mean=Avg("fill_ml"), hi=Max("fill_ml"))
        .order_by("bucket")
    )
    marks = list(
        vials.filter(fill_ipc__in=("alert", "action"))
        .order_by("vial_sequence")
        .values_list("vial_sequence", "fill_ml", "fill_ipc")[:CHART_MARKS]
    )
    bottom: float = min(float(limits.action_low_g), float(span["lo"]) * density)
    top: float = max(float(limits.action_high_g), float(span["hi"]) * density)
    pad = (top - bottom) * 0.08 or 0.1
    bottom, top = bottom - pad, top + pad

    def x(sequence: float) -> float:
        return round((sequence - first) / max(last - first, 1) * CHART_W, 1)

    def y(grams: float) -> float:
        return round(CHART_H - (grams - bottom) / (top - bottom) * CHART_H, 1)

    def centre(b: dict[str, Any]) -> float:
        return x(first + b["bucket"] * width + (width - 1) / 2)

    upper = [f"{centre(b)},{y(b['hi'] * density)}" for b in buckets]
    lower = [f"{centre(b)},{y(b['lo'] * density)}" for b in reversed(buckets)]
    return {
        "width": CHART_W,
        "height": CHART_H,
        "vials": span["n"],
        "first": first,
        "last": last,
        "per_point": width,
        "band": " ".join(upper + lower),
        "mean": " ".join(f"{centre(b)},{y(b['mean'] * density)}" for b in buckets),
        "lines": [
            {"name": name, "g": value, "y": y(float(value))}
            for name, value in (
                ("action high", limits.action_high_g),
                ("alert high", limits.alert_high_g),
                ("target", limits.target_g),
                ("alert low", limits.alert_low_g),
                ("action low", limits.action_low_g),
            )
        ],
        "marks": [
            {"x": x(seq), "y": y(float(ml or 0) * density), "level": level, "sequence": seq}
            for seq, ml, level in marks
        ],
        "marks_cut": len(marks) == CHART_MARKS,
    }


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
        sheet=compounding_sheet(batch),
        component_lots=list(ComponentLot.objects.filter(batch=batch)),
        line_state_signatures={
            "decontamination": signatures_of(batch.decontamination)
            if batch.decontamination
            else [],
            "format_parts": signatures_of(batch.format_parts) if batch.format_parts else [],
        },
        ipc_chart=ipc_chart(batch),
    )
