"""Role × endpoint for the QC and release pages and API, from the domain matrix: a refusal
by role names the role (403); an allowed role gets past the role check (here to a 404 or a
form refusal for a batch or sample that does not exist, or the page itself)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.http import HttpResponse
from django.test import Client

from rempart.domain.roles import Action, may
from tests.mes.conftest import World

Send = Callable[[Client], HttpResponse]
SIGN = {"password": "x", "totp_code": "000000", "comment": "", "reason": "r"}

ENDPOINTS: list[tuple[str, bool, Action, Send]] = [
    ("qc samples page", False, Action.VIEW_MASTER_RECORDS, lambda c: c.get("/qc/")),
    (
        "qc specifications page",
        False,
        Action.VIEW_MASTER_RECORDS,
        lambda c: c.get("/qc/specifications/"),
    ),
    ("qc viable EM page", False, Action.VIEW_MASTER_RECORDS, lambda c: c.get("/qc/em/")),
    ("quarantine page", False, Action.VIEW_MASTER_RECORDS, lambda c: c.get("/qc/quarantine/")),
    ("qc import page", False, Action.RECORD_QC_RESULT, lambda c: c.get("/qc/import")),
    (
        "qc enter result",
        False,
        Action.RECORD_QC_RESULT,
        lambda c: c.post("/qc/samples/NOPE-STE/result", {"value": "1"}),
    ),
    (
        "qc put on test",
        False,
        Action.RECORD_QC_RESULT,
        lambda c: c.post("/qc/samples/NOPE-STE/start"),
    ),
    ("release cockpit", False, Action.REVIEW_BATCH_AUDIT_TRAIL, lambda c: c.get("/release/")),
    (
        "release page",
        False,
        Action.REVIEW_BATCH_AUDIT_TRAIL,
        lambda c: c.get("/release/NOPE/"),
    ),
    (
        "release action",
        False,
        Action.REVIEW_BATCH_AUDIT_TRAIL,
        lambda c: c.post("/release/NOPE/release", SIGN),
    ),
    ("api qc samples", True, Action.VIEW_MASTER_RECORDS, lambda c: c.get("/api/qc/samples")),
    (
        "api qc enter result",
        True,
        Action.RECORD_QC_RESULT,
        lambda c: c.post(
            "/api/qc/samples/NOPE-STE/result", {"value": "1"}, content_type="application/json"
        ),
    ),
    (
        "api release cockpit",
        True,
        Action.REVIEW_BATCH_AUDIT_TRAIL,
        lambda c: c.get("/api/release/cockpit"),
    ),
    (
        "api audit review",
        True,
        Action.REVIEW_BATCH_AUDIT_TRAIL,
        lambda c: c.post("/api/release/batches/NOPE/review", SIGN, content_type="application/json"),
    ),
    (
        "api release",
        True,
        Action.RELEASE_BATCH,
        lambda c: c.post(
            "/api/release/batches/NOPE/release", SIGN, content_type="application/json"
        ),
    ),
    (
        "api reject",
        True,
        Action.RELEASE_BATCH,
        lambda c: c.post("/api/release/batches/NOPE/reject", SIGN, content_type="application/json"),
    ),
]

PERSONAS = ("pharmacist", "technician", "qc", "qa", "orderer_a", "admin")


@pytest.mark.parametrize("persona", [*PERSONAS, "outsider"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_permission_cell(
    world: World, persona: str, endpoint: tuple[str, bool, Action, Send]
) -> None:
    _name, is_api, action, send = endpoint
    client = Client()
    if persona != "outsider":
        client.force_login(world.users[persona])
    response = send(client)
    if persona == "outsider":
        assert response.status_code == (401 if is_api else 302)
        return
    refused_by_role = response.status_code == 403 and b"the role" in response.content
    if may(world.users[persona].role, action):
        assert not refused_by_role, response.content[:300]
        assert response.status_code in (200, 302, 404), response.content[:300]
        if is_api and response.status_code == 404:
            assert response.json()["field"] in ("sample_id", "number")
    else:
        assert refused_by_role, response.content[:300]
        if is_api:
            assert set(response.json()) >= {"message", "field"}
