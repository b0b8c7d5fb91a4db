"""Machine-event ingestion: the line's journal into the batch record, once and whole.

`ingest_machine_events(line_id, entries)` stores one page of journal entries in one audited
transaction: the new entries (unique line + sequence; duplicates and replays are dropped
before anything is written) and what they mean for the record — vial records, particle
readings (an action excursion opens a deviation on every batch running then), alarms,
interventions, and at batch end the reconciliation (a mismatch opens a deviation) and the
FILLING → FILLED move. `record_data_gap` keeps a sequence range that could not be read as a
data gap on the batches it touches. `DatabaseSink` is the `JournalSink` the ingester uses.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, connections
from django.db.models import Max

from rempart.domain.batch import BatchState
from rempart.domain.environment import Level, ParticleLimitSet, annex1_grade_a_limits
from rempart.domain.interventions import MediaFillCoverage, last_media_fill, uncovered
from rempart.domain.roles import Role
from rempart.mes.accounts.models import User
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.batches.services import move
from rempart.mes.core.columns import fitting
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.machine import contract, derive, seal
from rempart.mes.machine.limits import approved_limit_sets, media_fill_coverages
from rempart.mes.machine.models import (
    Alarm,
    DataGap,
    Intervention,
    JournalPage,
    MachineEvent,
    ParticleReading,
    Reconciliation,
    VialRecord,
)
from rempart.mes.qc import hooks as qc_hooks
from rempart.mes.quality.services import record_deviation

INGEST_REASON = "machine journal ingestion"

log = logging.getLogger(__name__)


def ingester(line_id: str) -> Actor:
    return Actor(f"system:ingest:{line_id}", f"ingester {line_id}", "system")


@dataclass
class IngestReport:
    received: int = 0
    stored: int = 0
    deviations: int = 0


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _timestamp_text(text: str, when: datetime) -> str:
    """The stored timestamp's text as the seal writes it: the line's own text when it is
    already in that form (UTC, microseconds, Z), else rewritten from the parsed time."""
    if len(text) == 27 and text[10] == "T" and text[-1] == "Z":
        return text
    return seal.timestamp_text(when)


def _check(line_id: str, entries: Sequence[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Entries keyed by sequence (duplicates within the page collapse), or `Refused`.

    Every entry must fit the event table the same way on SQLite and PostgreSQL
    (`contract.entry_problem`); `store_page` turns the ones that do not into data gaps first.
    """
    unique: dict[int, dict[str, Any]] = {}
    for index, entry in enumerate(entries):
        sequence = contract.sequence_of(line_id, index, entry)
        problem = contract.entry_problem(entry, canonical=False)  # the insert computes that form
        if problem is not None:
            field, message = problem
            raise Refused(f"entry {index} (sequence {sequence}): {message}", field=field)
        unique.setdefault(sequence, entry)
    return unique


#: MachineEvent columns as inserted in bulk.
EVENT_COLUMNS = ("line_id", "sequence", "kind", "batch_number", "timestamp", "data")


def _insert(
    table: str,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    casts: dict[str, str] | None = None,
) -> None:
    """Plain `executemany` of prepared tuples (values already adapted to the database);
    rows already present are skipped (`ON CONFLICT DO NOTHING`: SQLite and PostgreSQL).
    `casts` names PostgreSQL casts of text parameters (JSON text into jsonb)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    pg = connection.vendor == "postgresql"
    marks = [f"%s::{casts[c]}" if pg and casts and c in casts else "%s" for c in columns]
    sql = (
        f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(marks)}) ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def ingest_machine_events(line_id: str, entries: Sequence[dict[str, Any]]) -> IngestReport:
    """Store one page of the line's journal, once; derive the batch record from the new
    entries only (a replay derives nothing twice). All or nothing: one transaction.

    The new entries are inserted in bulk into the append-only `MachineEvent` table and sealed
    by one audited `JournalPage` holding the SHA-256 of their canonical JSON (0011)."""
    report = IngestReport(received=len(entries))
    if not entries:
        return report
    unique = _check(line_id, entries)
    with audited_write(ingester(line_id), reason=INGEST_REASON):
        known = set(
            MachineEvent.objects.filter(line_id=line_id, sequence__in=list(unique)).values_list(
                "sequence", flat=True
            )
        )
        new = [unique[s] for s in sorted(unique) if s not in known]
        if not new:
            return report
        whens = [_timestamp(e["timestamp"]) for e in new]
        adapted = [connection.ops.adapt_datetimefield_value(when) for when in whens]
        # The data is stored as its RFC 8785 text, which the seal hashes (0011).
        data_texts = contract.canonical_texts(new)
        _insert(
            MachineEvent._meta.db_table,
            EVENT_COLUMNS,
            [
                (line_id, e["sequence"], e["kind"], e.get("batch_id"), when, text)
                for e, when, text in zip(new, adapted, data_texts, strict=True)
            ],
            casts={"data": "jsonb"},
        )
        sequences = [e["sequence"] for e in new]
        JournalPage.objects.create(
            line_id=line_id,
            first_sequence=sequences[0],
            last_sequence=sequences[-1],
            count=len(new),
            sequences=seal.ranges_text(sequences),
            sha256=seal.page_digest(
                seal.entry_text(
                    line_id,
                    e["sequence"],
                    e["kind"],
                    e.get("batch_id"),
                    _timestamp_text(e["timestamp"], when),
                    text,
                )
                for e, when, text in zip(new, whens, data_texts, strict=True)
            ),
        )
        report.stored = len(new)
        report.deviations = _derive(line_id, new, whens, adapted)
    return report


def _ipc_limits(entries: list[dict[str, Any]]) -> dict[str, tuple[Decimal, Decimal]]:
    """Fill-weight alert and action % of the master record of each batch known here."""
    numbers = {e.get("batch_id") for e in entries if e["kind"] == "vial_processed"}
    rows = Batch.objects.filter(batch_number__in=numbers - {None}).values_list(
        "batch_number",
        "master_record__fill_weight_alert_pct",
        "master_record__fill_weight_action_pct",
    )
    return {number: (alert, action) for number, alert, action in rows}


class _Page:
    """What a page's derivation looks up once: limit sets and media fills."""

    def __init__(self, line_id: str) -> None:
        self.line_id = line_id
        self._limits: list[tuple[datetime, ParticleLimitSet]] | None = None
        self._fills: list[MediaFillCoverage] | None = None

    def limits_at(self, when: datetime) -> ParticleLimitSet:
        if self._limits is None:
            self._limits = approved_limit_sets()
        in_force = [limits for since, limits in self._limits if since <= when]
        return in_force[-1] if in_force else annex1_grade_a_limits()

    def media_fill_on(self, when: datetime) -> MediaFillCoverage | None:
        if self._fills is None:
            self._fills = media_fill_coverages(self.line_id)
        return last_media_fill(self._fills, self.line_id, when.date())


def _derive(
    line_id: str, entries: list[dict[str, Any]], whens: list[datetime], adapted: list[Any]
) -> int:
    limits_of = _ipc_limits(entries)
    vials: list[tuple[Any, ...]] = []
    readings: list[ParticleReading] = []
    page = _Page(line_id)
    deviations = 0
    for entry, when, db_when in zip(entries, whens, adapted, strict=True):
        kind, data = entry["kind"], entry["data"]
        batch_number = entry.get("batch_id")
        if kind == "vial_processed" and batch_number:
            vials.append(derive.vial_values(line_id, entry, db_when, limits_of.get(batch_number)))
        elif kind == "particle_reading":
            reading = derive.particle_reading(line_id, entry, when, page.limits_at(when))
            readings.append(reading)
            if Level.ACTION in (Level(reading.level), Level(str(data.get("level", "ok")))):
                deviations += _excursion(line_id, entry, reading, batch_number)
        elif kind == "alarm_raised":
            derive.raise_alarm(line_id, entry, when)
        elif kind == "alarm_cleared":
            Alarm.objects.filter(line_id=line_id, alarm_id=data.get("alarm_id")).update(
                cleared_at=when
            )
        elif kind == "intervention_started":
            derive.start_intervention(line_id, entry, when)
            deviations += _check_intervention(line_id, entry, page.media_fill_on(when))
        elif kind == "intervention_completed":
            Intervention.objects.filter(
                line_id=line_id, intervention_id=data.get("intervention_id")
            ).update(duration_s=data.get("duration_s"))
        elif kind in ("batch_completed", "batch_terminated") and batch_number:
            # Vials of this batch in this page must be stored before they are counted.
            _insert(VialRecord._meta.db_table, derive.VIAL_COLUMNS, vials)
            vials = []
            deviations += _reconcile(line_id, entry, batch_number, when)
    _insert(VialRecord._meta.db_table, derive.VIAL_COLUMNS, vials)
    ParticleReading.objects.bulk_create(readings, ignore_conflicts=True)
    return deviations


def _check_intervention(line_id: str, entry: dict[str, Any], fill: MediaFillCoverage | None) -> int:
    """An intervention the last media fill did not cover opens a deviation on its batch,
    once per intervention (the origin names it, so a replay opens nothing more)."""
    data, batch_number = entry["data"], entry.get("batch_id")
    why = uncovered(fill, str(data.get("type", "")), str(data.get("name", "")))
    if why is None or not batch_number:
        return 0
    record_deviation(
        ingester(line_id),
        title=f"Intervention not covered by the media fill: {data.get('name')}",
        description=(
            f"{why}; intervention {data.get('intervention_id')} at station "
            f"{data.get('station') or '-'}, glove port {data.get('glove_port') or '-'}, "
            f"operator {data.get('operator') or '-'}"
        ),
        source="intervention",
        batch_numbers=[batch_number],
        classification="major",
        origin=f"{line_id}:{data.get('intervention_id')}",
    )
    return 1


def _running_batches(line_id: str, batch_number: str | None) -> set[str]:
    running = set(
        Batch.objects.filter(line_id=line_id, state=BatchState.FILLING.value).values_list(
            "batch_number", flat=True
        )
    )
    if batch_number:
        running.add(batch_number)
    return running


def _excursion(
    line_id: str, entry: dict[str, Any], reading: ParticleReading, batch_number: str | None
) -> int:
    batches = _running_batches(line_id, batch_number)
    if not batches:
        return 0
    record_deviation(
        ingester(line_id),
        title=f"Grade A particle action excursion at {reading.location}",
        description=(
            f"{reading.count_0_5um_per_m3}/m³ ≥0.5 µm, {reading.count_5um_per_m3}/m³ ≥5 µm at "
            f"{reading.measured_at.isoformat()} (limit set {reading.limit_set_version})"
        ),
        source="em_excursion",
        batch_numbers=batches,
        classification="major",
        origin=f"{line_id}#{entry['sequence']}",
    )
    return 1


def _reconcile(line_id: str, entry: dict[str, Any], batch_number: str, when: datetime) -> int:
    data = entry["data"]
    counts = derive.vial_counts(batch_number)
    tolerance = (
        Batch.objects.filter(batch_number=batch_number)
        .values_list("master_record__reconciliation_tolerance_vials", flat=True)
        .first()
    )
    rec = derive.reconciliation(batch_number, data, counts, when, int(tolerance or 0))
    Reconciliation.objects.bulk_create([rec], ignore_conflicts=True)
    opened = 0
    if not rec.balanced:
        record_deviation(
            ingester(line_id),
            title=f"Reconciliation mismatch on {batch_number}",
            description=derive.mismatch_text(rec, counts),
            source="reconciliation",
            batch_numbers=[batch_number],
            classification="major",
            origin=f"{line_id}#{entry['sequence']}",
        )
        opened = 1
    batch = Batch.objects.filter(batch_number=batch_number).first()
    if batch is not None and batch.state == BatchState.FILLING.value:
        move(ingester(line_id), batch, BatchState.FILLED, reason=f"line: {data.get('reason')}")
        qc_hooks.batch_filled(ingester(line_id), batch, rec)
    return opened


def store_page(
    line_id: str, entries: Sequence[dict[str, Any]], gaps: Sequence[tuple[int, int]] = ()
) -> IngestReport:
    """One page as the follower read it, in one transaction: its entries, the sequence
    ranges it could not read (`gaps`), and as a data gap of its own each entry that the
    event table cannot hold as it is (`contract.entry_problem`: a garbled entry stopped the
    ingester, on the same page at every restart). Entries of another line, or without a
    sequence, refuse the whole page: the ingester is then following the wrong endpoint."""
    storable: list[dict[str, Any]] = []
    unstorable: list[int] = []
    for index, entry in enumerate(entries):
        sequence = contract.sequence_of(line_id, index, entry)
        problem = contract.entry_problem(entry)
        if problem is None:
            storable.append(entry)
        else:
            log.warning(
                "line %s, sequence %d cannot be stored (%s): recorded as a data gap",
                line_id,
                sequence,
                problem[1],
            )
            unstorable.append(sequence)
    with audited_write(ingester(line_id), reason=INGEST_REASON):
        report = ingest_machine_events(line_id, storable)
        for first, last in [*gaps, *((s, s) for s in sorted(set(unstorable)))]:
            record_data_gap(line_id, first, last)
    return report


def record_data_gap(line_id: str, first: int, last: int) -> list[DataGap]:
    """Sequences [first, last] cannot be read: one data gap per batch it touches (the batch
    ids of the entries on either side and the batches filling on the line), or one without a
    batch when the line ran none."""
    if first < 1 or last < first:
        raise Refused(f"bad sequence range {first}-{last}", field="sequence")
    neighbours = MachineEvent.objects.filter(
        line_id=line_id, sequence__in=(first - 1, last + 1)
    ).values_list("batch_number", flat=True)
    touched = _running_batches(line_id, None) | {n for n in neighbours if n}
    with audited_write(ingester(line_id), reason=INGEST_REASON):
        DataGap.objects.bulk_create(
            [
                DataGap(line_id=line_id, first_sequence=first, last_sequence=last, batch_number=n)
                for n in sorted(touched) or [""]
            ],
            ignore_conflicts=True,
        )
    return list(DataGap.objects.filter(line_id=line_id, first_sequence=first, last_sequence=last))


def resolve_data_gap(qa: User, gap: DataGap, reason: str, request_id: str = "") -> DataGap:
    """A QA reviewer resolves a data gap with a reason; it then no longer blocks release."""
    if qa.role != Role.QA_REVIEWER.value:
        raise NotPermitted("only a QA reviewer resolves a data gap", field="user")
    if not reason.strip():
        raise Refused("say why the gap does not affect the batch", field="reason")
    fitting(DataGap, "resolution", reason.strip(), field="reason")
    with audited_write(actor_for(qa, request_id), reason=reason.strip()):
        updated = DataGap.objects.filter(pk=gap.pk, resolved_at__isnull=True).update(
            resolved_by=qa.printed_name, resolution=reason.strip(), resolved_at=datetime.now(UTC)
        )
        if updated != 1:
            raise Conflict("this data gap is already resolved", field="gap")
    gap.refresh_from_db()
    return gap


def open_gaps_for(batch_number: str) -> list[DataGap]:
    return list(DataGap.objects.filter(batch_number=batch_number, resolved_at__isnull=True))


class DatabaseSink:
    """The `JournalSink` on the database: idempotent on (line, sequence).

    The follower calls the sink from its event loop, where Django refuses database work;
    every call therefore runs on one dedicated thread and the loop waits for it (a page is
    stored before the next is read, as the follower expects).
    """

    def __init__(self, line_id: str) -> None:
        self.line_id = line_id
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ingest-{line_id}")

    def _last_sequence(self) -> int:
        stored = MachineEvent.objects.filter(line_id=self.line_id).aggregate(m=Max("sequence"))
        gaps = DataGap.objects.filter(line_id=self.line_id).aggregate(m=Max("last_sequence"))
        return max(int(stored["m"] or 0), int(gaps["m"] or 0))

    def last_sequence(self) -> int:
        return self._db.submit(self._last_sequence).result()

    def store(self, entries: Sequence[dict[str, Any]], gaps: Sequence[tuple[int, int]]) -> None:
        self._db.submit(store_page, self.line_id, entries, gaps).result()

    def close(self) -> None:
        """Close the worker thread's database connection, then the thread."""
        self._db.submit(connections.close_all).result()
        self._db.shutdown()


def ingest_all(line_id: str, entries: Iterable[dict[str, Any]], page: int = 1000) -> int:
    """Ingest a whole journal in pages (the benchmark and replays)."""
    buffer: list[dict[str, Any]] = []
    stored = 0
    for entry in entries:
        buffer.append(entry)
        if len(buffer) == page:
            stored += ingest_machine_events(line_id, buffer).stored
            buffer = []
    if buffer:
        stored += ingest_machine_events(line_id, buffer).stored
    return stored
