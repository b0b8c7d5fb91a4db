"""The electronic batch record of one batch, assembled for its page (read only).

Everything per vial is aggregated in the database (counts, statistics, and the IPC chart,
downsampled to at most `CHART_BUCKETS` buckets of vial sequence with min/mean/max each), so
the page costs a fixed number of queries whatever the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, ExpressionWrapper, F, IntegerField, Max, Min, Q, Sum
from django.utils.safestring import mark_safe

from rempart.domain.batch import BatchState
from rempart.domain.errors import DomainError
from rempart.domain.master_record import FillWeightLimits, fill_weight_limits
from rempart.domain.release import Blocker
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
from rempart.mes.qc.facts import release_checklist
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
        """What the domain release checklist already finds against this batch, leaving out
        what is only not there yet (its state, pending QC, the audit-trail review)."""
        return [
            f"{r.code.value}: {r.message}" + (f" ({', '.join(r.items)})" if r.items else "")
            for r in release_checklist(self.batch)
            if r.code not in NOT_YET
            and not (self.batch.state in NOT_ENDED and r.code in AT_BATCH_END)
        ]


#: Checklist reasons that only say the batch has not got that far yet.
NOT_YET = frozenset({Blocker.WRONG_STATE, Blocker.QC_PENDING, Blocker.AUDIT_TRAIL_NOT_REVIEWED})
#: Checks that belong to the end of the batch (reconciliations, the filter's post-use test,
#: inspection): before it, their absence is not a finding.
AT_BATCH_END = frozenset(
    {
        Blocker.RECONCILIATION_MISMATCH,
        Blocker.LABEL_RECONCILIATION_MISMATCH,
        Blocker.FILTER_INTEGRITY,
        Blocker.INSPECTION_INCOMPLETE,
    }
)
NOT_ENDED = frozenset(
    s.value
    for s in (
        BatchState.PLANNED,
        BatchState.SCHEDULED,
        BatchState.LINE_CLEARANCE,
        BatchState.FILLING,
        BatchState.CANCELLED,
    )
)

CHART_W, CHART_H = 720, 240
#: At most this many points along the vial sequence (each a bucket's min, mean and max).
CHART_BUCKETS = 240
#: Alert and action vials drawn one by one, at most this many.
CHART_MARKS = 400
LINE_ACTION = 'stroke="#b00" stroke-width="2"'
LINE_ALERT = 'stroke="#d80" stroke-dasharray="6 4"'
LINE_TARGET = 'stroke="#888" stroke-dasharray="2 3"'


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


@dataclass
class VialSummary:
    """Every per-vial figure of the record from ONE grouped query (terminal state × reject
    reason × IPC class), combined here."""

    states: dict[str, int]
    reject_reasons: dict[str, int]
    fill_ipc: dict[str, int]
    fill: dict[str, Any]
    first_weighed: int | None
    last_weighed: int | None
    first_at: datetime | None = None
    last_at: datetime | None = None


def vial_summary(number: str) -> VialSummary:
    weighed = Q(fill_ml__isnull=False)
    rows = list(
        VialRecord.objects.filter(batch_number=number)
        .values("terminal_state", "reject_reason", "fill_ipc")
        .annotate(
            n=Count("id"),
            weighed=Count("fill_ml"),
            lo=Min("fill_ml"),
            total=Sum("fill_ml"),
            hi=Max("fill_ml"),
            dev_lo=Min("fill_deviation_pct"),
            dev_hi=Max("fill_deviation_pct"),
            first=Min("vial_sequence", filter=weighed),
            last=Max("vial_sequence", filter=weighed),
            first_at=Min("processed_at"),
            last_at=Max("processed_at"),
        )
        .order_by()
    )
    states: dict[str, int] = {}
    reasons: dict[str, int] = {}
    ipc: dict[str, int] = {}
    for r in rows:
        states[r["terminal_state"]] = states.get(r["terminal_state"], 0) + r["n"]
        if r["reject_reason"] is not None:
            reasons[r["reject_reason"]] = reasons.get(r["reject_reason"], 0) + r["n"]
        if r["fill_ipc"]:
            ipc[r["fill_ipc"]] = ipc.get(r["fill_ipc"], 0) + r["n"]

    def extreme(key: str, pick: Any) -> Any:
        found = [r[key] for r in rows if r[key] is not None]
        return pick(found) if found else None

    n = sum(r["weighed"] for r in rows)
    total = sum(r["total"] or 0 for r in rows)
    return VialSummary(
        states=states,
        reject_reasons=dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        fill_ipc=ipc,
        fill={
            "n": n,
            "min_ml": extreme("lo", min),
            "mean_ml": total / n if n else None,
            "max_ml": extreme("hi", max),
            "max_abs_dev": extreme("dev_hi", max),
            "min_dev": extreme("dev_lo", min),
        },
        first_weighed=extreme("first", min),
        last_weighed=extreme("last", max),
        first_at=extreme("first_at", min),
        last_at=extreme("last_at", max),
    )


def ipc_chart(batch: Batch, summary: VialSummary | None = None) -> dict[str, Any] | None:
    """Fill weight (g = mL × density) over the vial sequence, with the master record's
    alert and action limits: SVG coordinates and elements, no script."""
    limits = _limits(batch)
    summary = summary or vial_summary(batch.batch_number)
    if limits is None or summary.first_weighed is None or summary.last_weighed is None:
        return None
    vials = VialRecord.objects.filter(batch_number=batch.batch_number, fill_ml__isnull=False)
    density = float(batch.master_record.density_g_per_ml)
    first, last = summary.first_weighed, summary.last_weighed
    width = max(1, -(-(last - first + 1) // CHART_BUCKETS))
    buckets = list(
        vials.annotate(
            bucket=ExpressionWrapper(
                (F("vial_sequence") - first) / width, output_field=IntegerField()
            )
        )
        .values_list("bucket")
        .annotate(lo=Min("fill_ml"), mean=Avg("fill_ml"), hi=Max("fill_ml"))
        .order_by("bucket")
    )
    marks = list(
        vials.filter(fill_ipc__in=("alert", "action"))
        .order_by("vial_sequence")
        .values_list("vial_sequence", "fill_ml", "fill_ipc")[:CHART_MARKS]
    )
    bottom = min(float(limits.action_low_g), float(summary.fill["min_ml"]) * density)
    top = max(float(limits.action_high_g), float(summary.fill["max_ml"]) * density)
    pad = (top - bottom) * 0.08 or 0.1
    bottom, top = bottom - pad, top + pad

    def x(sequence: float) -> float:
        return round((sequence - first) / max(last - first, 1) * CHART_W, 1)

    def y(grams: float) -> float:
        return round(CHART_H - (grams - bottom) / (top - bottom) * CHART_H, 1)

    centres = [x(first + bucket * width + (width - 1) / 2) for bucket, *_ in buckets]
    upper = [f"{c},{y(hi * density)}" for c, (_, _, _, hi) in zip(centres, buckets, strict=True)]
    lower = [
        f"{c},{y(lo * density)}"
        for c, (_, lo, _, _) in reversed(list(zip(centres, buckets, strict=True)))
    ]
    lines = [
        {"name": name, "g": value, "y": y(float(value))}
        for name, value in (
            ("action high", limits.action_high_g),
            ("alert high", limits.alert_high_g),
            ("target", limits.target_g),
            ("alert low", limits.alert_low_g),
            ("action low", limits.action_low_g),
        )
    ]
    styles = {"action": LINE_ACTION, "alert": LINE_ALERT, "target": LINE_TARGET}
    # Numbers and fixed words only: safe to emit as markup (built here, not in a template
    # loop, which would cost more than the queries for hundreds of points).
    lines_svg = "".join(
        f'<line x1="0" x2="{CHART_W}" y1="{ln["y"]}" y2="{ln["y"]}" '
        f"{styles[str(ln['name']).split()[0]]}><title>{ln['name']} {ln['g']} g</title></line>"
        for ln in lines
    )
    marks_svg = "".join(
        f'<circle cx="{x(seq)}" cy="{y(float(ml or 0) * density)}" r="3" '
        f'fill="{"#b00" if level == "action" else "#d80"}"><title>vial {seq}: {level}</title>'
        "</circle>"
        for seq, ml, level in marks
    )
    return {
        "width": CHART_W,
        "height": CHART_H,
        "vials": summary.fill["n"],
        "first": first,
        "last": last,
        "per_point": width,
        "band": " ".join(upper + lower),
        "mean": " ".join(
            f"{c},{y(mean * density)}" for c, (_, _, mean, _) in zip(centres, buckets, strict=True)
        ),
        "lines": lines,
        "lines_svg": mark_safe(lines_svg),  # noqa: S308
        "marks": len(marks),
        "marks_svg": mark_safe(marks_svg),  # noqa: S308
        "marks_cut": len(marks) == CHART_MARKS,
    }


def batch_record(batch: Batch) -> BatchRecord:
    number = batch.batch_number
    clearance = LineClearance.objects.filter(batch=batch).first()
    summary = vial_summary(number)
    # The environment "during the batch": from its first to its last vial processed (the
    # vial rows are indexed by batch); a batch with no vial yet falls back to its events.
    window = {"first": summary.first_at, "last": summary.last_at}
    if window["first"] is None:
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
        vial_states=summary.states,
        reject_reasons=summary.reject_reasons,
        fill_ipc=summary.fill_ipc,
        fill=summary.fill,
        reconciliation=Reconciliation.objects.filter(batch_number=number).first(),
        deviations=list(Deviation.objects.filter(batches__batch_number=number).distinct()),
        gaps=list(DataGap.objects.filter(batch_number=number)),
        particles=readings.aggregate(
            n=Count("id"),
            max_0_5=Max("count_0_5um_per_m3"),
            max_5=Max("count_5um_per_m3"),
            alert=Count("id", filter=Q(level="alert")),
            action=Count("id", filter=Q(level="action")),
        ),
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
        ipc_chart=ipc_chart(batch, summary),
    )
