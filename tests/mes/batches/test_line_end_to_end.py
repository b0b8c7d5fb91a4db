"""End to end over OPC UA on loopback: line state → order → preparation (every step
performed and verified) → clearance → send to the line → the twin fills → ingestion (the
database sink behind `catch_up`) → FILLED, reconciled, every vial.

Fault tests: ingestion stopped mid-batch and restarted with a fresh sink; the whole journal
ingested twice; a range of entries the server never returns (a true data gap)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from django.test import Client

from rempart.mes.batches.models import Batch, BatchEvent, ComponentLot
from rempart.mes.batches.preparation import compounding_sheet
from rempart.mes.batches.services import (
    create_batch_order,
    schedule_batch,
    send_to_line,
    sign_line_clearance,
)
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.core.errors import Conflict
from rempart.mes.machine.models import DataGap, MachineEvent, Reconciliation, VialRecord
from rempart.mes.machine.services import DatabaseSink, ingest_machine_events, open_gaps_for
from rempart.mes.quality.services import open_deviations_for
from rempart.opcua.client import LineClient, SyncReport, catch_up
from tests.mes.conftest import PASSWORD, World
from tests.mes.release.conftest import filter_test

from .conftest import ServedTwin, serve_twin, totp
from .factories import line_ready, prepare
from .test_orders import PLANNED

QUANTITY = 30
#: Set-up in Starting (4,200 s), 6 s a vial, then Completing (900 s), with margin.
WHOLE_BATCH_S = 4200 + QUANTITY * 6 + 900 + 60

pytestmark = pytest.mark.usefixtures("sqlite_flush_guard")


def ready_batch(world: World, record: MasterRecord, endpoint: str) -> Batch:
    tech, pharma = world.users["technician"], world.users["pharmacist"]
    line_ready(world)
    batch = create_batch_order(
        tech,
        batch_number="E2E-001",
        master_record=record,
        quantity_vials=QUANTITY,
        planned_start=PLANNED,
    )
    batch = schedule_batch(tech, prepare(world, batch))
    sign_line_clearance(
        tech, batch, meaning="performed", password=PASSWORD, totp_code=totp(tech), checks="ok"
    )
    sign_line_clearance(
        pharma, batch, meaning="verified", password=PASSWORD, totp_code=totp(pharma)
    )
    return send_to_line(tech, batch, endpoint)


def ingest(endpoint: str) -> SyncReport:
    sink = DatabaseSink("LINE-1")

    async def follow_once() -> SyncReport:
        async with LineClient(endpoint) as line:
            return await catch_up(line, sink)

    try:
        return asyncio.run(follow_once())
    finally:
        sink.close()


def journal(endpoint: str) -> list[dict[str, object]]:
    async def read() -> list[dict[str, object]]:
        async with LineClient(endpoint) as line:
            last = await line.last_sequence()
            return [e for s in range(1, last + 1, 1000) for e in await line.read_journal(s)]

    return asyncio.run(read())


def test_a_batch_runs_from_order_to_filled_with_every_record(
    world: World, twin_record: MasterRecord, twin: ServedTwin
) -> None:
    batch = ready_batch(world, twin_record, twin.endpoint)
    assert batch.state == "filling"
    filter_test(world, batch)  # the sterilising filter's post-use test, performed and verified
    with pytest.raises(Conflict):
        send_to_line(world.users["technician"], batch, twin.endpoint)

    twin.advance(4200 + 10 * 6)  # mid-batch: about ten vials filled
    first = ingest(twin.endpoint)
    assert 0 < VialRecord.objects.filter(batch_number="E2E-001").count() < QUANTITY
    twin.advance(WHOLE_BATCH_S)
    second = ingest(twin.endpoint)  # a fresh sink resumes from the stored sequence
    assert second.last_sequence > first.last_sequence
    assert first.gaps == second.gaps == []

    batch.refresh_from_db()
    # At batch end QC's hook (qc.hooks.batch_filled) moves the filled batch to quarantine.
    assert batch.state == "quarantine"
    assert list(BatchEvent.objects.filter(batch=batch).values_list("target", flat=True)) == [
        "planned",
        "scheduled",
        "line_clearance",
        "filling",
        "filled",
        "quarantine",
    ]
    vials = VialRecord.objects.filter(batch_number="E2E-001")
    assert sorted(vials.values_list("vial_sequence", flat=True)) == list(range(1, QUANTITY + 1))
    assert all(v.fill_ml is not None and v.inspection_result for v in vials)
    assert {v.fill_ipc for v in vials} <= {"ok", "alert", "action"}
    rec = Reconciliation.objects.get(batch_number="E2E-001")
    assert (rec.balanced, rec.vials_issued) == (True, QUANTITY)
    assert MachineEvent.objects.count() == second.last_sequence
    assert open_deviations_for("E2E-001") == []
    assert open_gaps_for("E2E-001") == []
    # The preparation and line state are on the record: every step signed twice, the four
    # component lots, the decontamination and format parts the batch was sent with.
    sheet = compounding_sheet(batch)
    assert sheet.complete
    assert [len(s.signatures) for s in sheet.steps] == [2, 2, 2, 2, 2]
    assert sorted(ComponentLot.objects.filter(batch=batch).values_list("role", flat=True)) == [
        "api",
        "caps",
        "diluent",
        "vials",
    ]
    batch.refresh_from_db()
    assert batch.decontamination_id is not None
    assert batch.format_parts_id is not None

    # Replays change nothing: the follower again, then the whole journal by hand.
    assert ingest(twin.endpoint).entries_stored == 0
    assert ingest_machine_events("LINE-1", journal(twin.endpoint)).stored == 0
    assert MachineEvent.objects.count() == second.last_sequence
    assert VialRecord.objects.count() == QUANTITY
    assert Reconciliation.objects.count() == 1

    pages = Client()
    pages.force_login(world.users["qa"])
    page = pages.get("/batches/E2E-001/").content.decode()
    assert f"{QUANTITY} issued" in page
    assert "balanced" in page
    assert "none found" in page  # no release blocker from the record so far
    assert "line_clearance" in page
    assert "verified" in page
    assert 'id="ipc-chart"' in page
    assert "LOT-api" in page
    dashboard = pages.get("/line/")
    assert dashboard.status_code == 200
    assert "<polyline" in dashboard.content.decode()
    status = pages.get("/line/status.json").json()
    assert status["last_sequence"] == second.last_sequence
    assert status["state"] == "Complete"
    outsider = Client().get("/line/status.json")
    assert outsider.status_code == 302


@pytest.fixture
def gapped_twin() -> Iterator[ServedTwin]:
    # Sequences 80-84 are vials of the batch (the journal's first vial is near 76).
    yield from serve_twin(drop_sequences=frozenset(range(80, 85)))


def test_a_true_gap_is_recorded_on_the_batch_and_blocks_it(
    world: World, twin_record: MasterRecord, gapped_twin: ServedTwin
) -> None:
    ready_batch(world, twin_record, gapped_twin.endpoint)
    gapped_twin.advance(WHOLE_BATCH_S)
    report = ingest(gapped_twin.endpoint)
    assert report.gaps == [(80, 84)]
    [gap] = DataGap.objects.all()
    assert (gap.first_sequence, gap.last_sequence, gap.batch_number) == (80, 84, "E2E-001")
    assert open_gaps_for("E2E-001") == [gap]
    # The lost vials also unbalance the reconciliation: a deviation on the batch.
    assert not Reconciliation.objects.get(batch_number="E2E-001").balanced
    [deviation] = open_deviations_for("E2E-001")
    assert deviation.source == "reconciliation"
    # Polling again neither re-reads the gap nor records it twice.
    assert ingest(gapped_twin.endpoint).gaps == []
    assert DataGap.objects.count() == 1
