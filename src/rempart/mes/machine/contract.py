"""The fields of a journal entry's `data` that the batch record is derived from, checked.

docs/opcua.md ("Kinds and their fields") is the contract. Derivation (`derive.py`,
`services._derive`) reads a few fields of each kind into typed columns; a field of another
type or longer than its column made it fail (a ValueError, or a database error on
PostgreSQL only) and stopped the ingester on that page at every restart. `data_problem`
finds such an entry first, so that `store_page` keeps it as a data gap. Fields derivation
does not read are not checked; missing optional fields stay allowed, as derivation stores
them as null or its default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from rempart.mes.machine.derive import TERMINAL_STATES, station_record
from rempart.mes.machine.models import (
    Alarm,
    Intervention,
    ParticleReading,
    Reconciliation,
    VialRecord,
)

#: What 32-bit integer columns hold.
MAX_INT = 2_147_483_647
PARTICLE_LEVELS = ("ok", "alert", "action")

Check = Callable[[Any], str | None]


def _text(model: type[models.Model], field: str, *, nullable: bool = True) -> Check:
    column = model._meta.get_field(field)
    limit = (column.max_length or 0) if isinstance(column, models.CharField) else 0

    def check(value: Any) -> str | None:
        if value is None:
            return None if nullable else "missing"
        if not isinstance(value, str):
            return "not text"
        return f"longer than {limit} characters" if len(value) > limit else None

    return check


def _integer(low: int, high: int = MAX_INT, *, required: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if value is None:
            return "missing" if required else None  # derivation's default otherwise
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            return f"not a whole number from {low:,} to {high:,}"
        return None

    return check


def _number(value: Any) -> str | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return None
    return "not a number"


def _choice(*allowed: str) -> Check:
    def check(value: Any) -> str | None:
        if value is None or value in allowed:
            return None
        return f"not one of {', '.join(allowed)}"

    return check


_COUNTS: dict[str, Check] = {
    "vials_issued": _integer(0),
    **{state: _integer(0) for state in TERMINAL_STATES},
    "reason": _text(Reconciliation, "reason"),
}

#: Per kind, the `data` fields derivation reads and what each must be.
FIELDS: dict[str, dict[str, Check]] = {
    "vial_processed": {
        "vial_sequence": _integer(1, required=True),
        "terminal_state": _choice(*TERMINAL_STATES),
        "reject_reason": _text(VialRecord, "reject_reason"),
    },
    "particle_reading": {
        "location": _text(ParticleReading, "location"),
        "count_0_5um_per_m3": _integer(0),
        "count_5um_per_m3": _integer(0),
        "level": _choice(*PARTICLE_LEVELS),
        "limit_set_version": _text(ParticleReading, "limit_set_version"),
    },
    "alarm_raised": {
        "alarm_id": _text(Alarm, "alarm_id"),
        "code": _text(Alarm, "code"),
        "station": _text(Alarm, "station"),
        "severity": _text(Alarm, "severity"),
    },
    "alarm_cleared": {"alarm_id": _text(Alarm, "alarm_id")},
    "intervention_started": {
        "intervention_id": _text(Intervention, "intervention_id"),
        "type": _text(Intervention, "type"),
        "name": _text(Intervention, "name"),
        "glove_port": _text(Intervention, "glove_port"),
        "operator": _text(Intervention, "operator"),
        "station": _text(Intervention, "station"),
    },
    "intervention_completed": {
        "intervention_id": _text(Intervention, "intervention_id"),
        "duration_s": _number,
    },
    "batch_completed": _COUNTS,
    "batch_terminated": _COUNTS,
}

#: The fields of the inspection station's record that go into a vial record.
INSPECTION: dict[str, Check] = {
    "result": _text(VialRecord, "inspection_result"),
    "defect": _text(VialRecord, "defect"),
    "defect_class": _text(VialRecord, "defect_class"),
}


def data_problem(kind: str, data: dict[str, Any]) -> tuple[str, str] | None:
    """(field path, what is wrong) for the first field derivation could not store, or None."""
    for name, check in FIELDS.get(kind, {}).items():
        problem = check(data.get(name))
        if problem is not None:
            return f"data.{name}", f"data.{name}: {problem}"
    if kind == "vial_processed":
        inspection = station_record(data.get("stations"), "inspection")
        for name, check in INSPECTION.items():
            problem = check(inspection.get(name))
            if problem is not None:
                path = f"data.stations.inspection.{name}"
                return path, f"{path}: {problem}"
    return None
