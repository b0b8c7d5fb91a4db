"""Ingestion without the network: replays, duplicates and reordering (Hypothesis), an EM
action excursion opening a deviation on the batches running, gap resolution, deviation
closure by QA, and bad input refused naming the field, storing nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyotp
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.machine.derive import fill_ipc
from rempart.mes.machine.models import DataGap, MachineEvent, Reconciliation, VialRecord
from rempart.mes.machine.services import (
    ingest_machine_events,
    open_gaps_for,
    record_data_gap,
    resolve_data_gap,
    store_page,
)
from rempart.mes.quality.services import close_deviation, open_deviations_for
from rempart.twin.line import FillingLine
from tests.mes.conftest import PASSWORD, World
from tests.twin.conftest import START, load, quiet_params


def twin_journal(batch_id: str = "H-001", quantity: int = 12) -> list[dict[str, Any]]:
    line = FillingLine(quiet_params(), seed=3, start=START)
    load(line, batch_id, quantity=quantity)
    line.command("Start")
    line.step(4200 + quantity * 6 + 1200)
    return [json.loads(e.to_json()) for e in line.journal.read(1, len(line.journal))]


JOURNAL = twin_journal()


def snapshot() -> tuple[Any, ...]:
    return (
        list(MachineEvent.objects.values_list("sequence", "kind", "batch_number")),
        list(VialRecord.objects.values_list("vial_sequence", "terminal_state", "fill_ml")),
        list(Reconciliation.objects.values_list("vials_issued", "balanced")),
        len(open_deviations_for("H-001")),
    )


def reference() -> tuple[Any, ...]:
    with transaction.atomic():
        ingest_machine_events("LINE-1", JOURNAL)
        result = snapshot()
        transaction.set_rollback(True)
    return result


@st.composite
def deliveries(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    """The journal in order of pages, each page shuffled and padded with replays of any
    entry already sent (what restarts and re-reads produce)."""
    cuts = sorted(draw(st.sets(st.integers(1, len(JOURNAL) - 1), max_size=6)))
    pages, start = [], 0
    for end in [*cuts, len(JOURNAL)]:
        page = JOURNAL[start:end]
        replays = draw(st.lists(st.sampled_from(JOURNAL[:end]), max_size=10))
        pages.append(draw(st.permutations(page + replays)))
        start = end
    return pages


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pages=deliveries())
def test_duplicated_and_reordered_pages_give_the_same_record(
    db: None, pages: list[list[dict[str, Any]]]
) -> None:
    expected = reference()
    with transaction.atomic():
        for page in pages:
            ingest_machine_events("LINE-1", page)
        assert snapshot() == expected
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    ("deviation_pct", "expected"),
    [(1.9, "ok"), (-2.0, "ok"), (2.01, "alert"), (-4.0, "alert"), (4.5, "action"), (None, "")],
)
def test_fill_weights_are_checked_against_the_master_record_bands(
    deviation_pct: float | None, expected: str
) -> None:
    assert fill_ipc(deviation_pct, (Decimal("2"), Decimal("4"))) == expected
    assert fill_ipc(deviation_pct, None) == ""


def test_the_reference_record_is_complete(db: None) -> None:
    ingest_machine_events("LINE-1", JOURNAL)
    assert VialRecord.objects.count() == 12
    assert Reconciliation.objects.get(batch_number="H-001").balanced
    assert MachineEvent.objects.count() == len(JOURNAL)


def test_bad_entries_are_refused_naming_the_field_and_store_nothing(db: None) -> None:
    broken = [*JOURNAL[:5], {**JOURNAL[5], "sequence": "six"}]
    with pytest.raises(Refused) as caught:
        ingest_machine_events("LINE-1", broken)
    assert caught.value.field == "sequence"
    with pytest.raises(Refused) as caught:
        ingest_machine_events("LINE-2", JOURNAL[:3])
    assert caught.value.field == "line"
    assert not MachineEvent.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"batch_id": "B" * 65}, "batch_id", "at most 64 characters"),
        ({"kind": "k" * 41}, "kind", "1 to 40 characters"),
        ({"timestamp": "2026-01-05T09:00:00"}, "timestamp", "with its offset"),
        ({"timestamp": "yesterday"}, "timestamp", "ISO 8601"),
        ({"data": {"x": float("nan")}}, "data", "no canonical JSON form"),
        ({"data": {"x": 2**60}}, "data", "no canonical JSON form"),
        ({"data": {"x": "a\x00b"}}, "data", "NUL characters"),
    ],
)
def test_an_entry_the_event_table_cannot_hold_is_refused_naming_it(
    db: None, change: dict[str, Any], field: str, words: str
) -> None:
    # The same answer on SQLite and PostgreSQL: PostgreSQL alone refused a long batch id or
    # a NUL (error 500); rfc8785 raised on NaN in both.
    with pytest.raises(Refused) as caught:
        ingest_machine_events("LINE-1", [*JOURNAL[:5], {**JOURNAL[5], **change}])
    assert caught.value.field == field
    assert "sequence 6" in caught.value.message
    assert words in caught.value.message
    assert not MachineEvent.objects.exists()


def test_a_page_keeps_its_good_entries_and_makes_each_bad_one_a_data_gap(db: None) -> None:
    page = [
        *JOURNAL[:6],
        {**JOURNAL[6], "data": {"x": float("nan")}},
        JOURNAL[7],
        {**JOURNAL[8], "batch_id": "B" * 65},
        *JOURNAL[9:12],
    ]
    report = store_page("LINE-1", page, gaps=[(13, 14)])
    assert report.stored == 10
    stored = set(MachineEvent.objects.values_list("sequence", flat=True))
    assert stored == set(range(1, 13)) - {7, 9}
    gaps = set(DataGap.objects.values_list("first_sequence", "last_sequence"))
    assert gaps == {(7, 7), (9, 9), (13, 14)}


def _with_data(index: int, **changes: Any) -> dict[str, Any]:
    entry = JOURNAL[index]
    return {**entry, "data": {**entry["data"], **changes}}


def _stations(**inspection: Any) -> dict[str, Any]:
    stations = JOURNAL[75]["data"]["stations"]
    return {**stations, "inspection": {**stations["inspection"], **inspection}}


def _alarm(**data: Any) -> dict[str, Any]:
    base = {"alarm_id": "AL1", "code": "cap_jam", "station": "capping", "severity": "fault"}
    return {**JOURNAL[3], "kind": "alarm_raised", "data": {**base, "message": "jam", **data}}


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (_with_data(3, count_0_5um_per_m3="141"), "data.count_0_5um_per_m3"),
        (_with_data(3, level="panic"), "data.level"),
        (_with_data(3, location="L" * 61), "data.location"),
        (_with_data(75, vial_sequence=None), "data.vial_sequence"),
        (_with_data(75, terminal_state="lost"), "data.terminal_state"),
        (_with_data(75, stations=_stations(defect="d" * 41)), "data.stations.inspection.defect"),
        (_with_data(104, accepted=-1), "data.accepted"),
        (_with_data(104, vials_issued=2**40), "data.vials_issued"),
        (_alarm(code="c" * 41), "data.code"),
        (_alarm(station=["capping"]), "data.station"),
    ],
)
def test_a_field_derivation_reads_that_breaks_the_contract_is_named(
    db: None, entry: dict[str, Any], field: str
) -> None:
    # Each stopped the ingester before (ValueError in derivation, or PostgreSQL's errors).
    with pytest.raises(Refused) as caught:
        ingest_machine_events("LINE-1", [entry])
    assert caught.value.field == field
    assert not MachineEvent.objects.exists()
    store_page("LINE-1", [entry])
    sequence = entry["sequence"]
    assert list(DataGap.objects.values_list("first_sequence", "last_sequence")) == [
        (sequence, sequence)
    ]


def test_the_twin_journal_keeps_the_contract(db: None) -> None:
    report = store_page("LINE-1", JOURNAL)
    assert report.stored == len(JOURNAL)
    assert not DataGap.objects.exists()


def test_a_page_from_another_line_stores_nothing_not_even_its_gaps(db: None) -> None:
    with pytest.raises(Refused) as caught:
        store_page("LINE-2", JOURNAL[:3], gaps=[(4, 4)])
    assert caught.value.field == "line"
    assert not MachineEvent.objects.exists()
    assert not DataGap.objects.exists()


def filling_batch(world: World, number: str) -> Batch:
    with audited_write(Actor.system("tests")):
        return Batch.objects.create(
            batch_number=number,
            master_record=world.record,
            product=world.product,
            quantity_vials=100,
            planned_start=START,
            state="filling",
            ordered_by=world.users["technician"],
        )


def particle(sequence: int, count: int, batch_id: str | None) -> dict[str, Any]:
    return {
        "line": "LINE-1",
        "sequence": sequence,
        "timestamp": datetime(2026, 1, 5, 9, tzinfo=UTC).isoformat().replace("+00:00", "Z"),
        "kind": "particle_reading",
        "batch_id": batch_id,
        "data": {
            "location": "filling needle",
            "count_0_5um_per_m3": count,
            "count_5um_per_m3": 0,
            "sample_volume_l": 28.3,
            "level": "ok",
            "limit_set_version": "annex1-2022-default",
        },
    }


def test_an_action_excursion_opens_one_deviation_on_every_batch_running(world: World) -> None:
    filling_batch(world, "RUN-A")
    ingest_machine_events("LINE-1", [particle(1, 1200, "RUN-B"), particle(2, 4000, "RUN-B")])
    ingest_machine_events("LINE-1", [particle(2, 4000, "RUN-B")])  # a replay
    [deviation] = open_deviations_for("RUN-A")
    assert open_deviations_for("RUN-B") == [deviation]
    assert (deviation.source, deviation.origin) == ("em_excursion", "LINE-1#2")

    qa = world.users["qa"]
    with pytest.raises(NotPermitted):
        close_deviation(
            world.users["pharmacist"],
            deviation,
            investigation="x",
            capa_reference="",
            password=PASSWORD,
            totp_code="000000",
        )
    closed = close_deviation(
        qa,
        deviation,
        investigation="single spike, needle area cleaned; no impact on sterility assurance",
        capa_reference="CAPA-2026-001",
        password=PASSWORD,
        totp_code=pyotp.TOTP(qa.totp_secret).now(),
    )
    assert closed.status == "closed"
    assert open_deviations_for("RUN-A") == []


def test_a_data_gap_blocks_until_qa_resolves_it_with_a_reason(world: World) -> None:
    filling_batch(world, "GAP-A")
    [gap] = record_data_gap("LINE-1", 10, 12)
    assert gap.batch_number == "GAP-A"
    record_data_gap("LINE-1", 10, 12)
    assert DataGap.objects.count() == 1
    with pytest.raises(Refused) as caught:
        resolve_data_gap(world.users["qa"], gap, " ")
    assert caught.value.field == "reason"
    with pytest.raises(NotPermitted):
        resolve_data_gap(world.users["technician"], gap, "looked at it")
    resolve_data_gap(world.users["qa"], gap, "line restarted; vials 40-42 inspected by hand")
    assert open_gaps_for("GAP-A") == []
    with pytest.raises(Conflict):
        resolve_data_gap(world.users["qa"], gap, "again")


def test_a_gap_resolution_longer_than_its_column_is_refused(world: World) -> None:
    [gap] = record_data_gap("LINE-1", 10, 12)
    with pytest.raises(Refused) as long:
        resolve_data_gap(world.users["qa"], gap, "r" * 501)
    assert (long.value.field, long.value.message) == ("reason", "at most 500 characters, got 501")
    gap.refresh_from_db()
    assert gap.resolved_at is None
