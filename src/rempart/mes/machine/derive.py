"""Pure mappings from journal entries (docs/opcua.md, "Kinds and their fields") to rows.

Missing station fields are stored as null, never invented (DOMAIN.md §4, data to emit).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from rempart.domain.environment import ParticleLimitSet
from rempart.mes.machine.models import (
    Alarm,
    Intervention,
    ParticleReading,
    Reconciliation,
    VialRecord,
)

TERMINAL_STATES = ("accepted", "rejected", "qc_sample", "destroyed")


def station_record(stations: Any, name: str) -> dict[str, Any]:
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


#: VialRecord columns in the order `vial_values` gives them (rows are inserted in bulk).
VIAL_COLUMNS = (
    "batch_number",
    "vial_sequence",
    "line_id",
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


def vial_values(
    line_id: str,
    entry: dict[str, Any],
    when: Any,
    limits: tuple[Decimal, Decimal] | None = None,
) -> tuple[Any, ...]:
    """One vial's column values, in `VIAL_COLUMNS` order (`when` already adapted to the
    database by the caller, or a datetime)."""
    data = entry["data"]
    stations = data.get("stations")
    filling = station_record(stations, "filling")
    reseal = station_record(stations, "laser_reseal")
    capping = station_record(stations, "capping")
    inspection = station_record(stations, "inspection")
    deviation_pct = _float(filling.get("deviation_pct"))
    return (
        entry["batch_id"],
        int(data["vial_sequence"]),
        line_id,
        entry["sequence"],
        when,
        str(data.get("terminal_state")),
        data.get("reject_reason"),
        _float(filling.get("actual_ml")),
        _float(filling.get("actual_mg")),
        deviation_pct,
        _bool(filling.get("passed")),
        fill_ipc(deviation_pct, limits),
        _float(reseal.get("sensor_c")),
        _bool(reseal.get("passed")),
        _bool(capping.get("cap_present")),
        _bool(capping.get("cap_seated")),
        inspection.get("result"),
        inspection.get("defect"),
        inspection.get("defect_class"),
    )


def vial_record(
    line_id: str,
    entry: dict[str, Any],
    when: datetime,
    limits: tuple[Decimal, Decimal] | None = None,
) -> VialRecord:
    return VialRecord(
        **dict(zip(VIAL_COLUMNS, vial_values(line_id, entry, when, limits), strict=True))
    )


def particle_reading(
    line_id: str, entry: dict[str, Any], when: datetime, limits: ParticleLimitSet | None = None
) -> ParticleReading:
    """The reading, judged against `limits` (the site's approved set in force) when given:
    its level and version are then the MES's; otherwise the line's own."""
    data = entry["data"]
    count_0_5 = int(data.get("count_0_5um_per_m3", 0))
    count_5 = int(data.get("count_5um_per_m3", 0))
    return ParticleReading(
        line_id=line_id,
        event_sequence=entry["sequence"],
        measured_at=when,
        batch_number=entry.get("batch_id"),
        location=str(data.get("location", "")),
        count_0_5um_per_m3=count_0_5,
        count_5um_per_m3=count_5,
        level=str(data.get("level", "ok"))
        if limits is None
        else limits.classify(count_0_5, count_5),
        limit_set_version=(
            str(data.get("limit_set_version", "")) if limits is None else limits.version
        ),
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


def reconcile(issued: int, declared: list[int], tolerance_vials: int) -> tuple[int, bool]:
    """(issued − sum of the terminal counts, whether that is within ± the tolerance)."""
    if tolerance_vials < 0:
        raise ValueError("a tolerance cannot be negative")
    difference = issued - sum(declared)
    return difference, abs(difference) <= tolerance_vials


def reconciliation(
    batch_number: str,
    data: dict[str, Any],
    counts: Counter[str],
    when: datetime,
    tolerance_vials: int = 0,
) -> Reconciliation:
    """Vials issued against the line's terminal counts, within the master record's tolerance
    (`reconcile`), and the vial records received against those counts
    (a vial record missing is never within tolerance: it is data lost)."""
    issued = int(data.get("vials_issued", 0))
    declared = [int(data.get(state, 0)) for state in TERMINAL_STATES]
    records = sum(counts.values())
    difference, within = reconcile(issued, declared, tolerance_vials)
    balanced = within and all(
        counts[s] == n for s, n in zip(TERMINAL_STATES, declared, strict=True)
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
        difference=difference,
        tolerance_vials=tolerance_vials,
        balanced=balanced,
        ended_at=when,
    )


def mismatch_text(rec: Reconciliation, counts: Counter[str]) -> str:
    declared = rec.accepted + rec.rejected + rec.qc_samples + rec.destroyed
    received = ", ".join(f"{s} {counts[s]}" for s in TERMINAL_STATES)
    return (
        f"vials issued {rec.vials_issued}; line counts add up to {declared} "
        f"(accepted {rec.accepted}, rejected {rec.rejected}, QC {rec.qc_samples}, destroyed "
        f"{rec.destroyed}), a difference of {rec.difference} against a tolerance of "
        f"{rec.tolerance_vials}; vial records received {rec.vial_records} ({received})"
    )
