"""Site EM alert limits (versioned, approved by e-signature), media-fill coverage of the
line's interventions and the reconciliation tolerance, through services, pages and the API."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyotp
import pytest

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.machine import limits
from rempart.mes.machine.models import (
    Intervention,
    MediaFill,
    ParticleLimitSet,
    ParticleReading,
    Reconciliation,
)
from rempart.mes.machine.services import ingest_machine_events
from rempart.mes.quality.models import Deviation
from rempart.mes.quality.services import open_deviations_for
from rempart.mes.signatures.services import valid_signature
from tests.mes.conftest import PASSWORD, Persona, World

from .test_ingestion import JOURNAL, filling_batch, particle

SINCE = "2026-01-01T00:00:00+01:00"


def proposal(**changes: Any) -> dict[str, Any]:
    return {
        "version": "SITE-2026-01",
        "alert_0_5um": "1500",
        "alert_5um": "8",
        "effective_from": SINCE,
        "rationale": "95th percentile of 2025 grade A counts",
        **changes,
    }


def approved_set(world: World, **changes: Any) -> ParticleLimitSet:
    row = limits.propose_limit_set(world.users["pharmacist"], proposal(**changes))
    qa = world.users["qa"]
    limits.approve_limit_set(qa, row, password=PASSWORD, totp_code=pyotp.TOTP(qa.totp_secret).now())
    row.refresh_from_db()
    return row


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"alert_0_5um": "3520"}, "alert_0_5um"),
        ({"alert_0_5um": "4000"}, "alert_0_5um"),
        ({"alert_5um": "29"}, "alert_5um"),
        ({"alert_5um": "-1"}, "alert_5um"),
        ({"alert_0_5um": "many"}, "alert_0_5um"),
        ({"version": " "}, "version"),
        ({"effective_from": "2026-01-01T00:00:00"}, "effective_from"),
        ({"effective_from": "soon"}, "effective_from"),
    ],
)
def test_a_bad_proposal_is_refused_naming_the_field(
    world: World, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(Refused) as caught:
        limits.propose_limit_set(world.users["pharmacist"], proposal(**changes))
    assert caught.value.field == field
    assert not ParticleLimitSet.objects.exists()


def test_only_an_approved_set_applies_and_readings_keep_their_version(world: World) -> None:
    pharmacist, qa = world.users["pharmacist"], world.users["qa"]
    with pytest.raises(NotPermitted):
        limits.propose_limit_set(world.users["technician"], proposal())
    row = limits.propose_limit_set(pharmacist, proposal())
    with pytest.raises(Conflict):
        limits.propose_limit_set(pharmacist, proposal())
    assert limits.limits_in_force().version == "annex1-2022-default"

    ingest_machine_events("LINE-1", [particle(1, 1800, None)])  # above 1,500, below 2,000
    first = ParticleReading.objects.get(event_sequence=1)
    assert (first.level, first.limit_set_version) == ("ok", "annex1-2022-default")

    with pytest.raises(NotPermitted):  # the proposer does not approve their own set
        limits.approve_limit_set(
            pharmacist, row, password=PASSWORD, totp_code=pyotp.TOTP(pharmacist.totp_secret).now()
        )
    with pytest.raises(Refused) as caught:
        limits.approve_limit_set(qa, row, password=PASSWORD, totp_code="000000")
    assert caught.value.field == "totp_code"
    signature = limits.approve_limit_set(
        qa, row, password=PASSWORD, totp_code=pyotp.TOTP(qa.totp_secret).now()
    )
    row.refresh_from_db()
    assert (row.state, row.approved_by, signature.meaning) == (
        "approved",
        qa.printed_name,
        "approved",
    )
    assert valid_signature(row, signature.meaning) is not None  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        limits.approve_limit_set(
            qa, row, password=PASSWORD, totp_code=pyotp.TOTP(qa.totp_secret).now()
        )

    ingest_machine_events("LINE-1", [particle(2, 1800, None)])
    second = ParticleReading.objects.get(event_sequence=2)
    assert (second.level, second.limit_set_version) == ("alert", "SITE-2026-01")
    first.refresh_from_db()
    assert first.limit_set_version == "annex1-2022-default"  # judged once, kept


def test_a_set_applies_from_its_effective_time(world: World) -> None:
    approved_set(world, effective_from="2027-01-01T00:00:00Z")
    ingest_machine_events("LINE-1", [particle(1, 1800, None)])  # reading of 2026-01-05
    assert ParticleReading.objects.get().limit_set_version == "annex1-2022-default"
    assert limits.limits_in_force(datetime(2027, 2, 1, tzinfo=UTC)).version == "SITE-2026-01"


def test_an_action_excursion_under_site_limits_still_opens_a_deviation(world: World) -> None:
    approved_set(world)
    filling_batch(world, "RUN-A")
    ingest_machine_events("LINE-1", [particle(1, 3600, "RUN-A")])
    [deviation] = open_deviations_for("RUN-A")
    assert "SITE-2026-01" in deviation.description
    assert ParticleReading.objects.get().level == "action"


# -- interventions and the media fill ------------------------------------------------------


def intervention(sequence: int, ident: str, name: str, kind: str = "corrective") -> dict[str, Any]:
    return {
        "line": "LINE-1",
        "sequence": sequence,
        "timestamp": "2026-01-05T09:00:00.000000Z",
        "kind": "intervention_started",
        "batch_id": "RUN-I",
        "data": {
            "intervention_id": ident,
            "type": kind,
            "name": name,
            "glove_port": "GP2",
            "operator": "OP-7",
            "station": "capping",
        },
    }


def media_fill(world: World, covered: str, on: date = date(2025, 12, 1)) -> MediaFill:
    return limits.record_media_fill(
        world.users["qa"],
        {
            "line_id": "LINE-1",
            "performed_on": on.isoformat(),
            "interventions": covered,
            "max_batch_vials": "5000",
            "max_duration_h": "8",
        },
    )


def test_an_uncovered_intervention_opens_one_deviation_on_its_batch(world: World) -> None:
    filling_batch(world, "RUN-I")
    media_fill(world, "fill_weight_check\ncorrective:clear_cap_jam")
    media_fill(world, "fill_weight_check", on=date(2024, 6, 1))  # an older one: not the last
    page = [
        intervention(1, "IV001", "fill_weight_check", "inherent"),
        intervention(2, "IV002", "clear_cap_jam"),
        intervention(3, "IV003", "clear_stopper_jam"),
    ]
    ingest_machine_events("LINE-1", page)
    ingest_machine_events("LINE-1", page)  # a replay opens nothing more
    [deviation] = open_deviations_for("RUN-I")
    assert (deviation.source, deviation.origin) == ("intervention", "LINE-1:IV003")
    assert "clear_stopper_jam" in deviation.title
    assert "2025-12-01" in deviation.description
    assert Intervention.objects.count() == 3


def test_without_any_media_fill_every_intervention_opens_a_deviation(world: World) -> None:
    filling_batch(world, "RUN-I")
    ingest_machine_events("LINE-1", [intervention(1, "IV001", "fill_weight_check", "inherent")])
    assert [d.origin for d in open_deviations_for("RUN-I")] == ["LINE-1:IV001"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"interventions": ""}, "interventions"),
        ({"interventions": "a\na"}, "interventions"),
        ({"interventions": "two words"}, "interventions"),
        ({"performed_on": "2099-01-01"}, "performed_on"),
        ({"performed_on": "yesterday"}, "performed_on"),
        ({"max_batch_vials": "0"}, "max_batch_vials"),
        ({"max_duration_h": "x"}, "max_duration_h"),
        ({"max_duration_h": "0"}, "max_duration_h"),
        ({"max_duration_h": "nan"}, "max_duration_h"),
        ({"max_duration_h": "1e300"}, "max_duration_h"),
        ({"max_batch_vials": str(10**30)}, "max_batch_vials"),
    ],
)
def test_a_bad_media_fill_is_refused_naming_the_field(
    world: World, changes: dict[str, Any], field: str
) -> None:
    values = {
        "performed_on": "2025-12-01",
        "interventions": "fill_weight_check",
        "max_batch_vials": "5000",
        "max_duration_h": "8",
        **changes,
    }
    with pytest.raises(Refused) as caught:
        limits.record_media_fill(world.users["qa"], values)
    assert caught.value.field == field
    assert not MediaFill.objects.exists()


# -- reconciliation tolerance ---------------------------------------------------------------


def batch_end(issued: int, accepted: int, sequence: int = 1000) -> dict[str, Any]:
    end = next(e for e in JOURNAL if e["kind"] == "batch_completed")
    data = {**end["data"], "vials_issued": issued, "accepted": accepted}
    return {**end, "sequence": sequence, "data": data}


@pytest.mark.parametrize(("tolerance", "balanced"), [(0, False), (1, False), (2, True), (5, True)])
def test_the_reconciliation_uses_the_master_record_tolerance(
    world: World, tolerance: int, balanced: bool
) -> None:
    with audited_write(Actor.system("tests"), reason="tolerance for the test"):
        MasterRecord.objects.filter(pk=world.record.pk).update(
            reconciliation_tolerance_vials=tolerance
        )
    filling_batch(world, "H-001")
    body = [e for e in JOURNAL if e["kind"] != "batch_completed"]
    end = next(e for e in JOURNAL if e["kind"] == "batch_completed")
    issued = end["data"]["vials_issued"]
    page = [*body, {**end, "data": {**end["data"], "vials_issued": issued + 2}}]
    ingest_machine_events("LINE-1", page)
    ingest_machine_events("LINE-1", page)
    [rec] = Reconciliation.objects.filter(batch_number="H-001")
    assert (rec.difference, rec.tolerance_vials, rec.balanced) == (2, tolerance, balanced)
    deviations = [d for d in open_deviations_for("H-001") if d.source == "reconciliation"]
    assert len(deviations) == (0 if balanced else 1)
    if not balanced:
        assert f"tolerance of {tolerance}" in deviations[0].description


def test_a_missing_vial_record_is_never_within_tolerance(world: World) -> None:
    with audited_write(Actor.system("tests"), reason="tolerance for the test"):
        MasterRecord.objects.filter(pk=world.record.pk).update(reconciliation_tolerance_vials=5)
    filling_batch(world, "H-001")
    first_vial = next(e for e in JOURNAL if e["kind"] == "vial_processed")
    ingest_machine_events("LINE-1", [e for e in JOURNAL if e is not first_vial])
    rec = Reconciliation.objects.get(batch_number="H-001")
    assert (rec.difference, rec.balanced) == (0, False)
    assert Deviation.objects.filter(source="reconciliation").count() == 1


# -- pages and API ------------------------------------------------------------------------


def test_limit_sets_are_proposed_and_approved_on_the_page(pharmacist: Persona, qa: Persona) -> None:
    page = pharmacist.client.get("/line/limits/")
    assert page.status_code == 200
    assert "annex1-2022-default" in page.content.decode()
    refused = pharmacist.client.post("/line/limits/", proposal(alert_5um="30"), follow=True)
    assert "alert_5um" in refused.content.decode()
    assert not ParticleLimitSet.objects.exists()
    pharmacist.client.post("/line/limits/", proposal())
    row = ParticleLimitSet.objects.get()
    qa.client.post(f"/line/limits/{row.pk}/approve", {"password": PASSWORD, "totp_code": qa.totp()})
    row.refresh_from_db()
    assert row.state == "approved"
    shown = qa.client.get("/line/limits/").content.decode()
    assert '<strong id="in-force">SITE-2026-01</strong>' in shown


def test_the_api_proposes_approves_and_refuses_naming_the_field(
    pharmacist: Persona, qa: Persona, technician: Persona
) -> None:
    url = "/api/em/limit-sets"
    bad = pharmacist.client.post(
        url, json.dumps(proposal(alert_0_5um=3520)), content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "alert_0_5um"
    denied = technician.client.post(url, json.dumps(proposal()), content_type="application/json")
    assert denied.status_code == 403
    made = pharmacist.client.post(url, json.dumps(proposal()), content_type="application/json")
    assert made.status_code == 201
    assert made.json()["state"] == "proposed"
    approved = qa.client.post(
        f"{url}/SITE-2026-01/approve",
        json.dumps({"password": PASSWORD, "totp_code": qa.totp()}),
        content_type="application/json",
    )
    assert approved.status_code == 200
    assert approved.json()["approved_by"] == qa.user.printed_name
    listed = technician.client.get(url).json()
    assert [s["state"] for s in listed] == ["approved"]
    fill = qa.client.post(
        "/api/em/media-fills",
        json.dumps(
            {
                "performed_on": "2025-12-01",
                "interventions": ["fill_weight_check", "corrective:*"],
                "max_batch_vials": 5000,
                "max_duration_h": "8",
            }
        ),
        content_type="application/json",
    )
    assert fill.status_code == 201
    assert fill.json()["interventions"] == ["fill_weight_check", "corrective:*"]


def test_media_fills_are_recorded_on_the_page(qa: Persona, technician: Persona) -> None:
    values = {
        "line_id": "LINE-1",
        "performed_on": (date.today() - timedelta(days=3)).isoformat(),
        "interventions": "fill_weight_check\r\nsettle_plate_change",
        "max_batch_vials": "5000",
        "max_duration_h": "8",
    }
    denied = technician.client.post("/line/media-fills/", values, follow=True)
    assert "may not approve master record" in denied.content.decode()
    assert not MediaFill.objects.exists()
    qa.client.post("/line/media-fills/", values)
    assert MediaFill.objects.get().covered == ["fill_weight_check", "settle_plate_change"]
    assert "settle_plate_change" in qa.client.get("/line/media-fills/").content.decode()
