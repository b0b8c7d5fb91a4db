"""What a journal entry must be for the batch record to hold it: `entry_problem` checks the
common fields against the event table, and `data_problem` the fields of its `data` that the
record is derived from.

docs/opcua.md ("Kinds and their fields") is the contract. Derivation (`derive.py`,
`services._derive`) reads a few fields of each kind into typed columns; a field of another
type or longer than its column made it fail (a ValueError, or a database error on
PostgreSQL only) and stopped the ingester on that page at every restart. `data_problem`
finds such an entry first, so that `store_page` keeps it as a data gap. Fields derivation
does not read are not checked; missing optional fields stay allowed, as derivation stores
them as null or its default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import models

from rempart.domain import json_text
from rempart.mes.core.errors import Refused
from rempart.mes.machine import seal
from rempart.mes.machine.derive import TERMINAL_STATES, station_record
from rempart.mes.machine.models import (
    Alarm,
    Intervention,
    MachineEvent,
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


#: The largest sequence a BigIntegerField holds.
MAX_SEQUENCE = 2**63 - 1


def sequence_of(line_id: str, index: int, entry: dict[str, Any]) -> int:
    """The entry's sequence, or `Refused` when it is not an entry of this line's journal."""
    if entry.get("line") != line_id:
        raise Refused(
            f"entry {index} is from line {entry.get('line')!r}, not {line_id}", field="line"
        )
    sequence = entry.get("sequence")
    if (
        not isinstance(sequence, int)
        or isinstance(sequence, bool)
        or not 1 <= sequence <= MAX_SEQUENCE
    ):
        raise Refused(f"entry {index}: sequence must be a positive integer", field="sequence")
    return sequence


def entry_problem(entry: dict[str, Any], *, canonical: bool = True) -> tuple[str, str] | None:
    """(field, what is wrong) for an entry the batch record cannot hold as it is, or None:
    its kind and batch id within their columns, a timestamp with its offset, data that has
    an RFC 8785 form (finite numbers, integers within ±2^53) without NUL characters
    (PostgreSQL's jsonb refuses them), and the fields derivation reads as documented
    (`data_problem`)."""
    if not isinstance(entry.get("data"), dict) or not isinstance(entry.get("kind"), str):
        return "data", "kind or data missing"
    kind_length = MachineEvent._meta.get_field("kind").max_length or 0
    batch_length = MachineEvent._meta.get_field("batch_number").max_length or 0
    if not 1 <= len(entry["kind"]) <= kind_length:
        return "kind", f"kind must be 1 to {kind_length} characters"
    batch_id = entry.get("batch_id")
    if batch_id is not None and (not isinstance(batch_id, str) or len(batch_id) > batch_length):
        return "batch_id", f"batch_id must be text of at most {batch_length} characters"
    try:
        moment = datetime.fromisoformat(str(entry.get("timestamp")).replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        return "timestamp", "timestamp must be ISO 8601 with its offset"
    if canonical:
        try:
            seal.canonical_text(entry["data"])
        except ValueError as exc:
            return "data", _no_canonical_form(exc)
    if json_text.nul_path([entry["kind"], batch_id, entry["data"]]) is not None:
        return "data", "NUL characters are not accepted"
    return data_problem(entry["kind"], entry["data"])


def _no_canonical_form(exc: ValueError) -> str:
    return f"data has no canonical JSON form ({exc})"  # rfc8785: NaN, infinity, > 2^53


def canonical_texts(entries: Sequence[dict[str, Any]]) -> list[str]:
    """Each entry's data as its RFC 8785 text, or `Refused` naming the first without one."""
    texts = []
    for entry in entries:
        try:
            texts.append(seal.canonical_text(entry["data"]))
        except ValueError as exc:
            message = f"sequence {entry['sequence']}: {_no_canonical_form(exc)}"
            raise Refused(message, field="data") from None
    return texts
