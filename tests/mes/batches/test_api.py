"""The read-only batch and line API: the record summary, 404 naming the field, roles."""

from __future__ import annotations

from django.test import Client

from rempart.mes.catalog.models import MasterRecord
from tests.mes.conftest import World

from .test_orders import order


def test_the_batch_summary_and_line_status(world: World, twin_record: MasterRecord) -> None:
    order(world, twin_record, 300, "API-001")
    client = Client()
    client.force_login(world.users["qa"])
    body = client.get("/api/batches/API-001").json()
    assert body["state"] == "planned"
    assert body["quantity_vials"] == 300
    assert body["blockers"] == []
    assert body["reconciliation_balanced"] is None
    missing = client.get("/api/batches/NOPE")
    assert missing.status_code == 404
    assert missing.json()["field"] == "number"
    assert client.get("/api/line/status").json()["state"] == "unknown"
    orderer = Client()
    orderer.force_login(world.users["orderer_a"])
    assert orderer.get("/api/batches/API-001").status_code == 403
