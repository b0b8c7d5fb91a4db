"""A product the twin knows (CISA-2-10) with an approved master record, and the twin served
over OPC UA on loopback from a background thread, stepped by hand (`advance`)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyotp
import pytest

from rempart.domain.qualification import QualificationKind
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.catalog.models import MasterRecord, Molecule, Product, VialFormat
from rempart.mes.catalog.services import master_records
from rempart.opcua.server import TwinServer
from rempart.twin.line import FillingLine
from tests.mes.conftest import PASSWORD, World, qualify, record_content
from tests.opcua.conftest import START, free_port
from tests.twin.conftest import quiet_params

TWIN_PRODUCT = "CISA-2-10"


def totp(user: object) -> str:
    return pyotp.TOTP(user.totp_secret).now()  # type: ignore[attr-defined]


@pytest.fixture
def twin_record(world: World) -> MasterRecord:
    """An approved master record of the twin's CISA-2-10 (envelope: 5,000 vials, 8 h)."""
    with audited_write(Actor.system("tests")):
        molecule = Molecule.objects.create(inn="cisatracurium", atc="M03AC11", mitm=True)
        product = Product.objects.create(
            code=TWIN_PRODUCT,
            name="Cisatracurium 2 mg/mL, 10 mL",
            molecule=molecule,
            concentration_mg_per_ml=Decimal("2"),
            fill_volume_ml=Decimal("10.5"),
            vial_format=VialFormat.objects.get(code="V10"),
            storage="2-8 °C",
            shelf_life_days=180,
            regulatory_status="hospital_preparation",
            criticality=5,
        )
    for name in ("pharmacist", "qa", "technician"):
        qualify(world.users[name], QualificationKind.MASTER_RECORD_TRAINING, product)
    # A second production person, qualified for aseptic steps, to verify the clearance.
    pharmacist = world.users["pharmacist"]
    qualify(pharmacist, QualificationKind.ASEPTIC_PROCESS_SIMULATION)
    qualify(pharmacist, QualificationKind.GOWNING)
    record = master_records.create_draft(pharmacist, product, record_content())
    record = master_records.submit_for_review(pharmacist, record)
    qa = world.users["qa"]
    master_records.approve(qa, record, password=PASSWORD, totp_code=totp(qa))
    record.refresh_from_db()
    return record


@dataclass
class ServedTwin:
    server: TwinServer
    loop: asyncio.AbstractEventLoop

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def advance(self, sim_seconds: float) -> None:
        asyncio.run_coroutine_threadsafe(self.server.advance(sim_seconds), self.loop).result(60)


def serve_twin(drop_sequences: frozenset[int] = frozenset()) -> Iterator[ServedTwin]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    line = FillingLine(quiet_params(), seed=5, start=START)
    server = TwinServer(line, port=free_port(), speed=None, drop_sequences=drop_sequences)
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(60)
    try:
        yield ServedTwin(server, loop)
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@pytest.fixture
def twin() -> Iterator[ServedTwin]:
    yield from serve_twin()


@pytest.fixture(autouse=True)
def _batch_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.mes.batches.urls"
