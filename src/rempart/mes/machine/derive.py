"""Pure mappings from journal entries (docs/opcua.md, "Kinds and their fields") to rows.

Missing station fields are stored as null, never invented (DOMAIN.md §4, data to emit).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from rempart.mes.machine.models import (
    Alarm,
    Intervention,
    ParticleReading,
    Reconciliation,
    VialRecord,
)

TERMINAL_STATES = ("accepted", "rejected", "qc_sample", "destroyed")


def _station(stations: Any, name: str) -> dict[str, Any]:
    if isinstance(stations, list):
        for record in stations:
            if isinstance(record, dict) and record.get("station") == name:
                return record
    if isinstance(stations, dict):
        found = stations.get(name)
        if isinstance(found, dict):
            return found
    return {}


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def fill_ipc(deviation_pct: float | None, limits: tuple[Decimal, Decimal] | None) -> str:
    """The fill weight against the master record's alert and action bands (± % of target:
    the weight is the volume times the density, so the line's volume deviation is it)."""
    if deviation_pct is None or limits is None:
        return ""
    alert_pct, action_pct = limits
    off = abs(Decimal(str(deviation_pct)))
    return "action" if off > action_pct else "alert" if off > alert_pct else "ok"


def vial_record(
    line_id: str,
    entry: dict[str, Any],
    when: datetime,
    limits: tuple[Decimal, Decimal] | None = None,
) -> VialRecord:
    data = entry["data"]
    stations = data.get("stations")
    filling = _station(stations, "filling")
    reseal = _station(stations, "laser_reseal")
    capping = _station(stations, "capping")
    inspection = _station(stations, "inspection")
    deviation_pct = _float(filling.get("deviation_pct"))
    return VialRecord(
        batch_number=entry["batch_id"],
        vial_sequence=int(data["vial_sequence"]),
        line_id=line_id,
        event_sequence=entry["sequence"],
        processed_at=when,
        terminal_state=str(data.get("terminal_state")),
        reject_reason=data.get("reject_reason"),
        fill_ml=_float(filling.get("actual_ml")),
        fill_mg=_float(filling.get("actual_mg")),
        fill_deviation_pct=deviation_pct,
        fill_passed=_bool(filling.get("passed")),
        fill_ipc=fill_ipc(deviation_pct, limits),
        reseal_sensor_c=_float(reseal.get("sensor_c")),
        reseal_passed=_bool(reseal.get("passed")),
        cap_present=_bool(capping.get("cap_present")),
        cap_seated=_bool(capping.get("cap_seated")),
        inspection_result=inspection.get("result"),
        defect=inspection.get("defect"),
        defect_class=inspection.get("defect_class"),
    )


def particle_reading(line_id: str, entry: dict[str, Any], when: datetime) -> ParticleReading:
    data = entry["data"]
    return ParticleReading(
        line_id=line_id,
        event_sequence=entry["sequence"],
        measured_at=when,
        batch_number=entry.get("batch_id"),
        location=str(data.get("location", "")),
        count_0_5um_per_m3=int(data.get("count_0_5um_per_m3", 0)),
        count_5um_per_m3=int(data.get("count_5um_per_m3", 0)),
        level=str(data.get("level", "ok")),
        limit_set_version=str(data.get("limit_set_version", "")),
    )


def raise_alarm(line_id: str, entry: dict[str, Any], when: datetime) -> None:
    data = entry["data"]
    Alarm.objects.bulk_create(
        [
            Alarm(
                line_id=line_id,
                alarm_id=str(data.get("alarm_id")),
                batch_number=entry.get("batch_id"),
                code=str(data.get("code", "")),
                station=str(data.get("station", "")),
                severity=str(data.get("severity", "")),
                message=str(data.get("message", ""))[:300],
                raised_at=when,
            )
        ],
        ignore_conflicts=True,
    )


def start_intervention(line_id: str, entry: dict[str, Any], when: datetime) -> None:
    data = entry["data"]
    Intervention.objects.bulk_create(
        [
            Intervention(
                line_id=line_id,
                intervention_id=str(data.get("intervention_id")),
                batch_number=entry.get("batch_id"),
                type=str(data.get("type", "")),
                name=str(data.get("name", "")),
                glove_port=data.get("glove_port"),
                operator=data.get("operator"),
                station=data.get("station"),
                started_at=when,
            )
        ],
        ignore_conflicts=True,
    )


def vial_counts(batch_number: str) -> Counter[str]:
    states = VialRecord.objects.filter(batch_number=batch_number).values_list(
        "terminal_state", flat=True
    )
    return Counter(states)


def reconciliation(
    batch_number: str, data: dict[str, Any], counts: Counter[str], when: datetime
) -> Reconciliation:
    issued = int(data.get("vials_issued", 0))
    declared = [int(data.get(state, 0)) for state in TERMINAL_STATES]
    records = sum(counts.values())
    balanced = (
        issued == sum(declared)
        and records == issued
        and all(counts[s] == n for s, n in zip(TERMINAL_STATES, declared, strict=True))
    )
    accepted, rejected, qc, destroyed = declared
    return Reconciliation(
        batch_number=batch_number,
        reason=str(data.get("reason", "")),
        vials_issued=issued,
        accepted=accepted,
        rejected=rejected,
        qc_samples=qc,
        destroyed=destroyed,
        vial_records=records,
        balanced=balanced,
        ended_at=when,
    )


def mismatch_text(rec: Reconciliation, counts: Counter[str]) -> str:
    declared = rec.accepted + rec.rejected + rec.qc_samples + rec.destroyed
    received = ", ".join(f"{s} {counts[s]}" for s in TERMINAL_STATES)
    return (
        f"vials issued {rec.vials_issued}; line counts add up to {declared} "
        f"(accepted {rec.accepted}, rejected {rec.rejected}, QC {rec.qc_samples}, destroyed "
        f"{rec.destroyed}); vial records received {rec.vial_records} ({received})"
    )
