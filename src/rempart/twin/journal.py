"""The line's event journal: every fact, in order, with a line-wide sequence number.

Sequence numbers start at 1 and grow by exactly 1; nothing is ever removed or rewritten, so
a reader that remembers the last sequence it stored can always resume (`read(from_sequence)`)
and detect a gap. Each entry serialises to canonical JSON (sorted keys, no spaces), so the
same scenario and seed give a byte-identical journal. Kinds and their fields are documented
in docs/opcua.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from rempart.domain.clock import require_utc
from rempart.twin.errors import TwinError


class Kind(StrEnum):
    STATE_CHANGED = "state_changed"
    MODE_CHANGED = "mode_changed"
    BATCH_LOADED = "batch_loaded"
    BATCH_STARTED = "batch_started"
    BATCH_COMPLETED = "batch_completed"
    BATCH_TERMINATED = "batch_terminated"
    VIAL_PROCESSED = "vial_processed"
    ALARM_RAISED = "alarm_raised"
    ALARM_CLEARED = "alarm_cleared"
    INTERVENTION_STARTED = "intervention_started"
    INTERVENTION_COMPLETED = "intervention_completed"
    PARTICLE_READING = "particle_reading"
    VIABLE_SAMPLE_TAKEN = "viable_sample_taken"
    VIABLE_SAMPLE_RESULT = "viable_sample_result"
    DECONTAMINATION_STARTED = "decontamination_started"
    DECONTAMINATION_COMPLETED = "decontamination_completed"
    SHIFT_STARTED = "shift_started"
    SHIFT_ENDED = "shift_ended"


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a `Z`: one spelling, so JSON stays byte-stable."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class JournalEntry(NamedTuple):
    """One fact emitted by the line. `(line_id, sequence)` is its unique key.

    A named tuple: immutable and cheap to build (a crisis day appends about 10,000).
    """

    line_id: str
    sequence: int
    timestamp: datetime
    kind: Kind
    batch_id: str | None
    data: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line_id,
            "sequence": self.sequence,
            "timestamp": format_timestamp(self.timestamp),
            "kind": str(self.kind),
            "batch_id": self.batch_id,
            # Vial records are mappings built on first read; JSON wants a plain dict.
            "data": self.data if isinstance(self.data, dict) else dict(self.data),
        }

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, compact separators, UTF-8 text, no NaN."""
        return json.dumps(
            self.to_dict(),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )

    @classmethod
    def from_json(cls, text: str) -> JournalEntry:
        """Parse one canonical line back (what a client of ReadJournal does)."""
        raw = json.loads(text)
        moment = datetime.fromisoformat(raw["timestamp"].replace("Z", "+00:00"))
        return cls(
            line_id=raw["line"],
            sequence=int(raw["sequence"]),
            timestamp=moment,
            kind=Kind(raw["kind"]),
            batch_id=raw["batch_id"],
            data=raw["data"],
        )


class Journal:
    """Append-only list of entries, timestamped from simulated seconds after `start`."""

    def __init__(self, line_id: str, start: datetime) -> None:
        self.line_id = line_id
        self.start = require_utc(start, field="start")
        self._entries: list[JournalEntry] = []

    def append(
        self, kind: Kind, at_s: float, batch_id: str | None, data: Mapping[str, Any]
    ) -> JournalEntry:
        entry = JournalEntry(
            self.line_id,
            len(self._entries) + 1,
            self.start + timedelta(seconds=at_s),
            kind,
            batch_id,
            data,
        )
        self._entries.append(entry)
        return entry

    @property
    def last_sequence(self) -> int:
        """0 while the journal is empty."""
        return len(self._entries)

    def read(self, from_sequence: int, max_count: int) -> list[JournalEntry]:
        """Entries with sequence ≥ `from_sequence`, in order, at most `max_count` of them."""
        if from_sequence < 1:
            raise TwinError("sequences start at 1", field="from_sequence")
        if max_count < 0:
            raise TwinError("cannot read a negative number of entries", field="max_count")
        start = from_sequence - 1
        return self._entries[start : start + max_count]

    def timestamp_of(self, at_s: float) -> datetime:
        return self.start + timedelta(seconds=at_s)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._entries)

    def to_jsonl(self) -> str:
        """The whole journal as JSON Lines (one canonical entry a line)."""
        return "".join(entry.to_json() + "\n" for entry in self._entries)
