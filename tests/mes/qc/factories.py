"""Batches at the line's end for QC and release tests: through the real ingestion of a twin
journal (`ended_batch`), specifications for the world's product, and passing results."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from rempart.domain.roles import Role
from rempart.mes.accounts.models import User
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.catalog.models import Product
from rempart.mes.machine.services import ingest_machine_events
from rempart.mes.qc import services
from rempart.mes.qc.models import QcSample
from rempart.twin.line import FillingLine
from tests.mes.conftest import World, make_user
from tests.twin.conftest import START, load, quiet_params

QUANTITY = 30
PASSING = {
    "sterility": "no growth",
    "endotoxins": "0.12",
    "visual_inspection": "0",
    "assay": "100.4",
}


@cache
def _journal(batch_id: str, quantity: int) -> tuple[str, ...]:
    line = FillingLine(quiet_params(), seed=3, start=START)
    load(line, batch_id, quantity=quantity)
    line.command("Start")
    line.step(4200 + quantity * 6 + 1200)
    return tuple(e.to_json() for e in line.journal.read(1, len(line.journal)))


def journal(batch_id: str, quantity: int = QUANTITY) -> list[dict[str, Any]]:
    """The twin's journal of one whole batch (started 2026-01-05, so incubation is over),
    on the batch's own line."""
    entries = [json.loads(text) for text in _journal(batch_id, quantity)]
    for entry in entries:
        entry["line"] = line_of(batch_id)
    return entries


def filling_batch(
    world: World, number: str, quantity: int = QUANTITY, line_id: str = "LINE-1"
) -> Batch:
    with audited_write(Actor.system("tests")):
        return Batch.objects.create(
            batch_number=number,
            master_record=world.record,
            product=world.product,
            quantity_vials=quantity,
            planned_start=START,
            ordered_by=world.users["technician"],
            state="filling",
            line_id=line_id,
        )


def line_of(number: str) -> str:
    """Each batch of a test runs on its own line (the twin's journal restarts at 1)."""
    return f"L-{number}"


def ended_batch(world: World, number: str = "QC-001", quantity: int = QUANTITY) -> Batch:
    """A batch run to its end by the line's journal: FILLED, then QUARANTINE by the hook."""
    batch = filling_batch(world, number, quantity, line_of(number))
    ingest_machine_events(line_of(number), journal(number, quantity))
    batch.refresh_from_db()
    return batch


def specifications(user: User, product: Product) -> None:
    services.create_specification(
        user,
        product,
        test="sterility",
        method="Ph. Eur. 2.6.1",
        expected="no growth",
        lead_time_days=14,
    )
    services.create_specification(
        user,
        product,
        test="endotoxins",
        method="Ph. Eur. 2.6.14 (LAL)",
        unit="EU/mL",
        upper="0.5",
        lead_time_days=2,
    )
    services.create_specification(
        user,
        product,
        test="visual_inspection",
        method="Ph. Eur. 2.9.20",
        unit="defective units",
        upper="0",
        lead_time_days=1,
    )
    services.create_specification(
        user,
        product,
        test="assay",
        method="HPLC-UV",
        unit="% label claim",
        lower="95",
        upper="105",
        lead_time_days=3,
    )


def pass_all(user: User, batch: Batch, skip: tuple[str, ...] = (), **override: str) -> None:
    waiting = QcSample.objects.filter(batch=batch, result__isnull=True)
    for sample in waiting.exclude(kind="retention").exclude(kind__in=skip):
        services.enter_result(user, sample, override.get(sample.kind, PASSING[sample.kind]))


def second_pharmacist() -> User:
    return make_user("pharma2", Role.PHARMACIST)
