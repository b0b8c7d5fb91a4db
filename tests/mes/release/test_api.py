"""The JSON API end to end: list samples, enter results (errors JSON naming the field), the
cockpit, the audit-trail review, a refused release listing every reason, then the release."""

from __future__ import annotations

from django.test import Client

from rempart.mes.qc.models import QcSample
from tests.mes.conftest import PASSWORD, World
from tests.mes.qc.factories import PASSING, ended_batch, specifications

from .conftest import code, filter_test


def client_for(world: World, who: str) -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def test_results_review_and_release_through_the_api(world: World) -> None:
    specifications(world.users["qc"], world.product)
    batch = ended_batch(world, "API-001")
    filter_test(world, batch)
    qc, qa, pharma = (client_for(world, w) for w in ("qc", "qa", "pharmacist"))
    listed = qc.get("/api/qc/samples", {"batch": "API-001", "waiting": True}).json()
    assert sorted(s["test"] for s in listed) == [
        "assay",
        "endotoxins",
        "sterility",
        "visual_inspection",
    ]
    bad = qc.post(
        "/api/qc/samples/API-001-ASY/result", {"value": "n/a"}, content_type="application/json"
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "value")
    missing = qc.post("/api/qc/samples/API-001-ASY/result", {}, content_type="application/json")
    assert (missing.status_code, missing.json()["field"]) == (422, "value")
    for sample in QcSample.objects.filter(batch=batch).exclude(kind="retention"):
        done = qc.post(
            f"/api/qc/samples/{sample.sample_id}/result",
            {"value": PASSING[sample.kind]},
            content_type="application/json",
        )
        assert done.status_code == 201, done.content
        assert done.json()["status"] == "passed"
    table = qc.get("/api/qc/batches/API-001/results").json()
    assert {r["sample_id"] for r in table} >= {"API-001-STE", "API-001-RET"}

    [row] = [r for r in pharma.get("/api/release/cockpit").json() if r["batch_number"] == "API-001"]
    assert row["state"] == "under_review"
    assert "audit_trail_not_reviewed" in {e["code"] for e in row["exceptions"]}
    sign = {"password": PASSWORD, "totp_code": code(world.users["pharmacist"])}
    refused = pharma.post(
        "/api/release/batches/API-001/release", sign, content_type="application/json"
    )
    assert refused.status_code == 409
    assert refused.json()["field"] == "checklist"
    assert "the audit trail has not been reviewed" in refused.json()["message"]

    wrong = qa.post(
        "/api/release/batches/API-001/review",
        {"password": "wrong", "totp_code": code(world.users["qa"])},
        content_type="application/json",
    )
    assert wrong.status_code in (400, 403)
    assert wrong.json()["field"] == "password"
    reviewed = qa.post(
        "/api/release/batches/API-001/review",
        {"password": PASSWORD, "totp_code": code(world.users["qa"])},
        content_type="application/json",
    )
    assert reviewed.status_code == 201, reviewed.content
    released = pharma.post(
        "/api/release/batches/API-001/release", sign, content_type="application/json"
    )
    assert released.status_code == 201, released.content
    assert released.json() == {
        "batch_number": "API-001",
        "decision": "released",
        "pharmacist": world.users["pharmacist"].printed_name,
        "expiry_date": "2026-07-04",
    }
    again = pharma.post(
        "/api/release/batches/API-001/reject",
        {**sign, "reason": "x"},
        content_type="application/json",
    )
    assert (again.status_code, again.json()["field"]) == (409, "batch")
