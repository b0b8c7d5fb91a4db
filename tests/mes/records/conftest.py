"""A sample batch with a complete record: ordered, scheduled, compounding steps performed
and verified, line clearance performed and verified (then corrected, which invalidates both
signatures), filled by the twin's journal (every vial, particle readings, reconciliation),
an EM action excursion opening a deviation closed by QA with a signature, a data gap
resolved by QA, QC samples with every result entered, and the audit-trail review signed by
QA."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from rempart.domain.batch import BatchState
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch, BatchEvent, LineClearance
from rempart.mes.batches.services import move, sign_line_clearance
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.machine.services import ingest_machine_events, record_data_gap, resolve_data_gap
from rempart.mes.quality.services import close_deviation, open_deviations_for
from rempart.mes.release.services import review_audit_trail
from rempart.twin.line import FillingLine
from tests.mes.batches.conftest import totp, twin_record
from tests.mes.batches.factories import prepare
from tests.mes.conftest import PASSWORD, World
from tests.mes.qc.factories import pass_all, specifications
from tests.twin.conftest import START, load, quiet_params

__all__ = ["twin_record"]

NUMBER = "REC-001"
QUANTITY = 12


def journal(batch_id: str = NUMBER, quantity: int = QUANTITY) -> list[dict[str, Any]]:
    line = FillingLine(quiet_params(), seed=3, start=START)
    load(line, batch_id, code="CISA-2-10", quantity=quantity)
    line.command("Start")
    line.step(4200 + quantity * 6 + 1200)
    entries = [json.loads(e.to_json()) for e in line.journal.read(1, len(line.journal))]
    # A grade A action excursion in the middle of the batch, the line's own entry format.
    middle = entries[len(entries) // 2]
    entries.append(
        {
            "line": "LINE-1",
            "sequence": entries[-1]["sequence"] + 1000,
            "timestamp": middle["timestamp"],
            "kind": "particle_reading",
            "batch_id": batch_id,
            "data": {
                "location": "filling needle",
                "count_0_5um_per_m3": 4100,
                "count_5um_per_m3": 31,
                "sample_volume_l": 28.3,
                "level": "action",
                "limit_set_version": "annex1-2022-default",
            },
        }
    )
    return entries


def ordered(world: World, record: MasterRecord, number: str, quantity: int) -> Batch:
    """The row `create_batch_order` writes (its line-readiness checks are not this app's
    subject), by the technician, with its first event."""
    tech = world.users["technician"]
    actor = actor_for(tech)
    with audited_write(actor, reason="batch order"):
        batch = Batch.objects.create(
            batch_number=number,
            master_record=record,
            product=record.product,
            quantity_vials=quantity,
            planned_start=START + timedelta(hours=1),
            ordered_by=tech,
        )
        BatchEvent.objects.create(batch=batch, target=BatchState.PLANNED, actor=actor.printed_name)
    return batch


@pytest.fixture
def sample_batch(world: World, twin_record: MasterRecord) -> Batch:
    tech, pharma, qa = world.users["technician"], world.users["pharmacist"], world.users["qa"]
    batch = ordered(world, twin_record, NUMBER, QUANTITY)
    batch = move(actor_for(tech), batch, BatchState.SCHEDULED)
    prepare(world, batch)  # every compounding step performed and verified, signed
    sign_line_clearance(
        tech, batch, meaning="performed", password=PASSWORD, totp_code=totp(tech), checks="vide"
    )
    sign_line_clearance(
        pharma, batch, meaning="verified", password=PASSWORD, totp_code=totp(pharma)
    )
    # A later correction of the checks: an UPDATE after first entry, both signatures invalid.
    with audited_write(Actor.system("tests"), reason="checks completed after the fact"):
        LineClearance.objects.filter(batch=batch).update(checks="vide; étiquettes retirées")
    batch = move(Actor.system("tests"), batch, BatchState.FILLING)
    entries = journal()
    ingest_machine_events("LINE-1", entries[:20])
    [gap] = record_data_gap("LINE-1", 100_000, 100_001)
    resolve_data_gap(qa, gap, "sequences never issued by the line; checked on its console")
    ingest_machine_events("LINE-1", entries[20:])
    [deviation] = open_deviations_for(NUMBER)
    close_deviation(
        qa,
        deviation,
        investigation="pic isolé à l'aiguille, zone nettoyée ; pas d'impact",
        capa_reference="CAPA-2026-007",
        password=PASSWORD,
        totp_code=totp(qa),
    )
    # QC: the specifications of the product, every sample's result passing (QC analyst);
    # then the audit-trail review by QA, who did no step (signed "reviewed").
    specifications(world.users["qc"], twin_record.product)
    batch.refresh_from_db()
    pass_all(world.users["qc"], batch)
    batch.refresh_from_db()
    review_audit_trail(qa, batch, password=PASSWORD, totp_code=totp(qa), comment="vu")
    batch.refresh_from_db()
    return batch


@pytest.fixture
def bare_batch(world: World, twin_record: MasterRecord) -> Batch:
    """Ordered only: no signature, no machine data."""
    return ordered(world, twin_record, "REC-BARE", 100)
