"""The batch record's sections that come from the line: vials, environment, alarms,
interventions, data gaps and the reconciliation (document.py assembles the whole record)."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime
from decimal import Decimal

from django.db.models import Max, Min

from rempart.domain.environment import (
    ANNEX1_PARTICLE_LIMITS_PER_M3,
    ParticleSize,
    annex1_grade_a_limits,
)
from rempart.mes.batches.models import Batch
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.machine.models import (
    Alarm,
    DataGap,
    Intervention,
    MachineEvent,
    ParticleReading,
    Reconciliation,
    VialRecord,
)
from rempart.mes.records.values import Json, decimal_text, moment, utc_text


def vials_section(number: str, record: MasterRecord, fill_volume_ml: Decimal) -> Json:
    columns = (
        "vial_sequence",
        "event_sequence",
        "processed_at",
        "terminal_state",
        "reject_reason",
        "fill_ml",
        "fill_mg",
        "fill_deviation_pct",
        "fill_passed",
        "fill_ipc",
        "reseal_sensor_c",
        "reseal_passed",
        "cap_present",
        "cap_seated",
        "inspection_result",
        "defect",
        "defect_class",
    )
    rows = list(
        VialRecord.objects.filter(batch_number=number).order_by("vial_sequence").values(*columns)
    )
    for row in rows:
        row["processed_at"] = utc_text(row["processed_at"])
    states = Counter(row["terminal_state"] for row in rows)
    reasons = Counter(row["reject_reason"] for row in rows if row["reject_reason"])
    ipc = Counter(row["fill_ipc"] for row in rows if row["fill_ipc"])
    fills = [row["fill_ml"] for row in rows if row["fill_ml"] is not None]
    deviations = [
        row["fill_deviation_pct"] for row in rows if row["fill_deviation_pct"] is not None
    ]
    summary: Json = {
        "vials": len(rows),
        "weighed": len(fills),
        "min_ml": min(fills) if fills else None,
        "mean_ml": round(statistics.fmean(fills), 4) if fills else None,
        "max_ml": max(fills) if fills else None,
        "sd_ml": round(statistics.stdev(fills), 4) if len(fills) > 1 else None,
        "min_deviation_pct": min(deviations) if deviations else None,
        "max_deviation_pct": max(deviations) if deviations else None,
        "ipc_counts": {level: ipc.get(level, 0) for level in ("ok", "alert", "action")},
    }
    series = [
        (row["vial_sequence"], row["fill_deviation_pct"], row["fill_ipc"])
        for row in rows
        if row["fill_deviation_pct"] is not None
    ]
    return {
        "counts_by_state": dict(sorted(states.items())),
        "reject_reasons": dict(reasons.most_common()),
        "ipc": {
            "target_fill_ml": decimal_text(fill_volume_ml),
            "alert_pct": decimal_text(record.fill_weight_alert_pct),
            "action_pct": decimal_text(record.fill_weight_action_pct),
            "every_vials": record.ipc_every_vials,
            "summary": summary,
            "series": {
                "vial_sequence": [s[0] for s in series],
                "fill_deviation_pct": [s[1] for s in series],
                "fill_ipc": [s[2] for s in series],
            },
        },
        "records": rows,
    }


def batch_window(batch: Batch) -> tuple[datetime | None, datetime | None]:
    """First and last journal entry of the batch: the time its EM readings are taken from."""
    window = MachineEvent.objects.filter(batch_number=batch.batch_number).aggregate(
        first=Min("timestamp"), last=Max("timestamp")
    )
    return window["first"], window["last"]


def environment_section(batch: Batch, first: datetime | None, last: datetime | None) -> Json:
    limits = annex1_grade_a_limits()
    annex1 = ANNEX1_PARTICLE_LIMITS_PER_M3[limits.grade][limits.occupancy]
    readings: list[Json] = []
    if first is not None and last is not None:
        readings = [
            dict(row)
            for row in ParticleReading.objects.filter(
                line_id=batch.line_id, measured_at__range=(first, last)
            ).values(
                "measured_at",
                "location",
                "count_0_5um_per_m3",
                "count_5um_per_m3",
                "level",
                "limit_set_version",
                "batch_number",
                "event_sequence",
            )
        ]
    for reading in readings:
        reading["measured_at"] = utc_text(reading["measured_at"])
    levels = Counter(r["level"] for r in readings)
    return {
        "window": {"from": moment(first), "to": moment(last)},
        "limits": {
            "version": limits.version,
            "grade": str(limits.grade),
            "occupancy": str(limits.occupancy),
            "alert_0_5um_per_m3": limits.alert_0_5um,
            "action_0_5um_per_m3": limits.action_0_5um,
            "alert_5um_per_m3": limits.alert_5um,
            "action_5um_per_m3": limits.action_5um,
            "annex1_0_5um_per_m3": annex1[ParticleSize.UM_0_5],
            "annex1_5um_per_m3": annex1[ParticleSize.UM_5],
        },
        "summary": {
            "readings": len(readings),
            "max_0_5um_per_m3": max((r["count_0_5um_per_m3"] for r in readings), default=None),
            "max_5um_per_m3": max((r["count_5um_per_m3"] for r in readings), default=None),
            "levels": {level: levels.get(level, 0) for level in ("ok", "alert", "action")},
            "limit_set_versions": sorted({r["limit_set_version"] for r in readings}),
        },
        "readings": readings,
    }


def alarms_section(number: str) -> list[Json]:
    return [
        {
            "alarm_id": a.alarm_id,
            "code": a.code,
            "station": a.station,
            "severity": a.severity,
            "message": a.message,
            "raised_at": moment(a.raised_at),
            "cleared_at": moment(a.cleared_at),
        }
        for a in Alarm.objects.filter(batch_number=number).order_by("raised_at", "id")
    ]


def interventions_section(number: str) -> list[Json]:
    return [
        {
            "intervention_id": i.intervention_id,
            "type": i.type,
            "name": i.name,
            "glove_port": i.glove_port,
            "operator": i.operator,
            "station": i.station,
            "started_at": moment(i.started_at),
            "duration_s": i.duration_s,
        }
        for i in Intervention.objects.filter(batch_number=number).order_by("started_at", "id")
    ]


def gaps_section(number: str) -> list[Json]:
    return [
        {
            "line_id": g.line_id,
            "first_sequence": g.first_sequence,
            "last_sequence": g.last_sequence,
            "detected_at": moment(g.detected_at),
            "resolved_by": g.resolved_by,
            "resolution": g.resolution,
            "resolved_at": moment(g.resolved_at),
        }
        for g in DataGap.objects.filter(batch_number=number).order_by("first_sequence")
    ]


def reconciliation_section(number: str, record: MasterRecord) -> Json | None:
    r = Reconciliation.objects.filter(batch_number=number).first()
    if r is None:
        return None
    return {
        "reason": r.reason,
        "vials_issued": r.vials_issued,
        "accepted": r.accepted,
        "rejected": r.rejected,
        "qc_samples": r.qc_samples,
        "destroyed": r.destroyed,
        "accounted": r.accepted + r.rejected + r.qc_samples + r.destroyed,
        "difference": r.vials_issued - (r.accepted + r.rejected + r.qc_samples + r.destroyed),
        "vial_records": r.vial_records,
        "tolerance_vials": record.reconciliation_tolerance_vials,
        "balanced": r.balanced,
        "ended_at": moment(r.ended_at),
    }
