"""The acting API: order, schedule, preparation steps, clearance, send, hold and lift,
line state, manual deviation open/close, data-gap resolution; bad input refused as JSON
{"message", "field"} changing nothing; roles per endpoint; CSRF enforced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch, ComponentLot, Decontamination
from rempart.mes.batches.preparation import expected_codes, formula_for
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.machine.models import DataGap
from rempart.mes.quality.models import Deviation
from tests.mes.conftest import PASSWORD, World

from .conftest import totp
from .factories import line_ready

NOW = datetime.now(UTC).replace(microsecond=0)


def client_of(world: World, name: str, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(world.users[name])
    return client


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def signing(world: World, name: str) -> dict[str, str]:
    return {"password": PASSWORD, "totp_code": totp(world.users[name])}


def order_body(record: MasterRecord, **changes: Any) -> dict[str, Any]:
    return {
        "batch_number": "API-7",
        "master_record_id": record.pk,
        "quantity_vials": 300,
        "planned_start": "2026-01-05T08:00:00+01:00",
        **changes,
    }


def test_a_batch_is_ordered_prepared_cleared_and_held_over_the_api(
    world: World, twin_record: MasterRecord
) -> None:
    tech, pharma, qa = (client_of(world, n) for n in ("technician", "pharmacist", "qa"))
    refused = post(tech, "/api/batches", order_body(twin_record))
    assert refused.status_code == 400
    assert refused.json()["field"] == "decontamination"
    line_ready(world)
    for body, status, field in [
        (order_body(twin_record, quantity_vials=9000), 400, "quantity_vials"),
        (order_body(twin_record, quantity_vials="many"), 422, "quantity_vials"),
        (order_body(twin_record, master_record_id=999999), 404, "master_record_id"),
        (order_body(twin_record, planned_start="2026-01-05T08:00:00"), 400, "planned_start"),
        ({"batch_number": "X"}, 422, "master_record_id"),
    ]:
        answer = post(tech, "/api/batches", body)
        assert (answer.status_code, answer.json()["field"]) == (status, field), answer.json()
        assert answer.json()["message"]
    assert not Batch.objects.exists()
    created = post(tech, "/api/batches", order_body(twin_record))
    assert created.status_code == 201
    assert created.json()["state"] == "planned"
    assert created.json()["preparation_next"] == ["api", "performed"]
    assert post(tech, "/api/batches/API-7/schedule").json()["state"] == "scheduled"
    assert post(tech, "/api/batches/NOPE/schedule").status_code == 404

    batch = Batch.objects.get(batch_number="API-7")
    codes, formula = expected_codes(batch), formula_for(batch)
    wrong = post(
        tech,
        "/api/batches/API-7/preparation/api",
        {
            "meaning": "performed",
            "item_code": "API-NOPE",
            "lot_number": "L",
            "expiry": "2099-01-01",
            **signing(world, "technician"),
        },
    )
    assert (wrong.status_code, wrong.json()["field"]) == (400, "item_code")
    bad_date = post(
        tech,
        "/api/batches/API-7/preparation/api",
        {
            "meaning": "performed",
            "item_code": codes["api"],
            "lot_number": "L",
            "expiry": "soon",
            **signing(world, "technician"),
        },
    )
    assert (bad_date.status_code, bad_date.json()["field"]) == (422, "expiry")
    unknown = post(
        tech,
        "/api/batches/API-7/preparation/mixing",
        {"meaning": "performed", **signing(world, "technician")},
    )
    assert (unknown.status_code, unknown.json()["field"]) == (400, "step")
    assert not ComponentLot.objects.exists()
    for step in ("api", "diluent", "compounding", "vials", "caps"):
        fields: dict[str, Any] = (
            {
                "api_mg": str(formula.api_quantity.amount),
                "volume_ml": str(formula.bulk_volume.amount),
            }
            if step == "compounding"
            else {"item_code": codes[step], "lot_number": f"A-{step}", "expiry": "2099-01-01"}
        )
        done = post(
            tech,
            f"/api/batches/API-7/preparation/{step}",
            {"meaning": "performed", **fields, **signing(world, "technician")},
        )
        assert done.status_code == 200, done.json()
        same = post(
            tech,
            f"/api/batches/API-7/preparation/{step}",
            {"meaning": "verified", **signing(world, "technician")},
        )
        assert (same.status_code, same.json()["field"]) == (403, "user")
        checked = post(
            pharma,
            f"/api/batches/API-7/preparation/{step}",
            {"meaning": "verified", **signing(world, "pharmacist")},
        )
        assert checked.status_code == 200
    summary = checked.json()
    assert summary["preparation_complete"] is True
    assert {c["role"] for c in summary["component_lots"]} == {"api", "diluent", "vials", "caps"}

    no_checks = post(
        tech,
        "/api/batches/API-7/clearance",
        {"meaning": "performed", **signing(world, "technician")},
    )
    assert (no_checks.status_code, no_checks.json()["field"]) == (400, "checks")
    cleared = post(
        tech,
        "/api/batches/API-7/clearance",
        {"meaning": "performed", "checks": "line empty", **signing(world, "technician")},
    )
    assert cleared.json()["state"] == "line_clearance"
    post(
        pharma,
        "/api/batches/API-7/clearance",
        {"meaning": "verified", **signing(world, "pharmacist")},
    )
    unreachable = post(tech, "/api/batches/API-7/send")
    assert (unreachable.status_code, unreachable.json()["field"]) == (400, "line")

    assert post(tech, "/api/batches/API-7/hold", {"reason": ""}).json()["field"] == "reason"
    held = post(tech, "/api/batches/API-7/hold", {"reason": "isolator glove breach suspected"})
    assert (held.json()["state"], held.json()["held_from"]) == ("on_hold", "line_clearance")
    again = post(tech, "/api/batches/API-7/hold", {"reason": "again"})
    assert again.status_code == 409
    assert post(tech, "/api/batches/API-7/release-hold", {"reason": "ok"}).status_code == 403
    lifted = post(qa, "/api/batches/API-7/release-hold", {"reason": "glove tested intact"})
    assert (lifted.json()["state"], lifted.json()["held_from"]) == ("line_clearance", "")
    assert post(qa, "/api/batches/API-7/release-hold", {"reason": "x"}).status_code == 409


def test_line_state_over_the_api(world: World, twin_record: MasterRecord) -> None:
    tech, pharma, qc = (client_of(world, n) for n in ("technician", "pharmacist", "qc"))
    body = {
        "cycle_id": "VHP-API",
        "done_at": (NOW - timedelta(hours=1)).isoformat(),
        "valid_until": (NOW + timedelta(days=2)).isoformat(),
        **signing(world, "technician"),
    }
    assert (
        post(tech, "/api/line-state/decontaminations", {**body, "done_at": "x"}).status_code == 422
    )
    created = post(tech, "/api/line-state/decontaminations", body)
    assert created.status_code == 201
    assert created.json()["verified"] is False
    pk = created.json()["id"]
    assert (
        post(qc, f"/api/line-state/decontaminations/{pk}/verify", signing(world, "qc")).status_code
        == 403
    )
    verified = post(
        pharma, f"/api/line-state/decontaminations/{pk}/verify", signing(world, "pharmacist")
    )
    assert verified.json()["verified"] is True
    parts = {
        "set_code": "FP-API",
        "vial_format": "V10",
        "cleaned_at": (NOW - timedelta(hours=4)).isoformat(),
        "sterilised_at": (NOW - timedelta(hours=2)).isoformat(),
        "valid_until": (NOW + timedelta(days=5)).isoformat(),
        **signing(world, "technician"),
    }
    missing = post(tech, "/api/line-state/format-parts", {**parts, "vial_format": "V99"})
    assert (missing.status_code, missing.json()["field"]) == (404, "vial_format")
    made = post(tech, "/api/line-state/format-parts", parts)
    assert made.status_code == 201
    post(
        pharma,
        f"/api/line-state/format-parts/{made.json()['id']}/verify",
        signing(world, "pharmacist"),
    )
    listed = qc.get("/api/line-state").json()
    assert {(r["kind"], r["label"], r["verified"]) for r in listed} == {
        ("decontamination", "VHP-API", True),
        ("format_parts", "FP-API", True),
    }
    assert Decontamination.objects.count() == 1


def test_manual_deviation_and_gap_over_the_api(world: World, twin_record: MasterRecord) -> None:
    line_ready(world)
    tech, qa, orderer = (client_of(world, n) for n in ("technician", "qa", "orderer_a"))
    post(tech, "/api/batches", order_body(twin_record))
    body = {
        "title": "Gowning breach",
        "description": "sleeve torn at glove port 3",
        "classification": "major",
        "batch_numbers": ["API-7"],
    }
    for changes, field in [
        ({"classification": "huge"}, "classification"),
        ({"batch_numbers": ["NOPE"]}, "batch_numbers"),
        ({"batch_numbers": []}, "batch_numbers"),
        ({"title": " "}, "title"),
    ]:
        answer = post(tech, "/api/deviations", {**body, **changes})
        assert (answer.status_code, answer.json()["field"]) == (400, field)
    assert post(orderer, "/api/deviations", body).status_code == 403
    assert not Deviation.objects.exists()
    opened = post(tech, "/api/deviations", body)
    assert opened.status_code == 201
    assert (opened.json()["source"], opened.json()["batch_numbers"]) == ("manual", ["API-7"])
    assert tech.get("/api/batches/API-7").json()["open_deviations"] == [opened.json()["number"]]
    pk = opened.json()["id"]
    close = {"investigation": "no product impact", "capa_reference": "CAPA-12"}
    assert (
        post(
            tech, f"/api/deviations/{pk}/close", {**close, **signing(world, "technician")}
        ).status_code
        == 403
    )
    wrong_code = post(
        qa, f"/api/deviations/{pk}/close", {**close, "password": PASSWORD, "totp_code": "000000"}
    )
    assert (wrong_code.status_code, wrong_code.json()["field"]) == (400, "totp_code")
    closed = post(qa, f"/api/deviations/{pk}/close", {**close, **signing(world, "qa")})
    assert (closed.json()["status"], closed.json()["capa_reference"]) == ("closed", "CAPA-12")
    assert (
        post(qa, f"/api/deviations/{pk}/close", {**close, **signing(world, "qa")}).status_code
        == 409
    )
    assert [d["status"] for d in qa.get("/api/deviations?status=closed").json()] == ["closed"]

    with audited_write(Actor.system("tests")):
        gap = DataGap.objects.create(
            line_id="LINE-1", first_sequence=5, last_sequence=9, batch_number="API-7"
        )
    assert post(tech, f"/api/data-gaps/{gap.pk}/resolve", {"reason": "x"}).status_code == 403
    assert post(qa, f"/api/data-gaps/{gap.pk}/resolve", {"reason": " "}).json()["field"] == "reason"
    resolved = post(
        qa, f"/api/data-gaps/{gap.pk}/resolve", {"reason": "entries re-read from the line's log"}
    )
    assert resolved.json()["resolved_by"] == world.users["qa"].printed_name
    assert post(qa, "/api/data-gaps/999999/resolve", {"reason": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("technician", 201),
        ("pharmacist", 201),
        ("qa", 403),
        ("qc", 403),
        ("orderer_a", 403),
        ("admin", 403),
    ],
)
def test_who_may_order_a_batch(
    world: World, twin_record: MasterRecord, role: str, status: int
) -> None:
    line_ready(world)
    assert (
        post(client_of(world, role), "/api/batches", order_body(twin_record)).status_code == status
    )


def test_the_acting_api_needs_a_session_and_the_csrf_token(
    world: World, twin_record: MasterRecord
) -> None:
    line_ready(world)
    assert post(Client(), "/api/batches", order_body(twin_record)).status_code == 401
    strict = client_of(world, "technician", csrf=True)
    refused = post(strict, "/api/batches", order_body(twin_record))
    assert refused.status_code == 403
    assert "message" in refused.json()
    assert not Batch.objects.exists()
