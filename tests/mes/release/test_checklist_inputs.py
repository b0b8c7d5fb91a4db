"""The checklist inputs gathered from the records (beyond QC and the line): qualifications
held at the time of signing, the media-fill envelope's duration, the post-use filter
integrity test and the label reconciliation. Each blocks release through the service, shows
on the release page and the cockpit (tests/mes/release/test_release.py `CASES`), and clears
when put right."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import Qualification
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch, Decontamination, LineClearance
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.labels import services as labels
from rempart.mes.qc.facts import performers, release_checklist, release_facts
from rempart.mes.release.filtration import record_filter_test, verify_filter_test
from rempart.mes.release.models import FilterIntegrityTest
from rempart.mes.release.services import ReleaseRefused, release_batch
from rempart.mes.signatures.services import write_signature
from rempart.mes.stock.models import Lot
from tests.mes.conftest import PASSWORD, World

from .conftest import code, filter_test, prepared, review, second_technician

SYSTEM = Actor.system("tests")


def reasons(batch: Batch) -> dict[str, tuple[str, ...]]:
    return {r.code.value: r.items for r in release_checklist(batch)}


def sign_clearance(world: World, batch: Batch, who: str, meaning: Meaning) -> LineClearance:
    with audited_write(SYSTEM):
        clearance, _ = LineClearance.objects.get_or_create(batch=batch, checks="line clear")
    write_signature(world.users[who], clearance, meaning, comment="line clearance")
    return clearance


def lapse_gowning(world: World) -> str:
    """The technician's gowning qualification, found to have ended yesterday."""
    today = datetime.now(UTC).date()
    with audited_write(SYSTEM, reason="gowning requalification failed: validity ended"):
        Qualification.objects.filter(user=world.users["technician"], kind="gowning").update(
            valid_from=today - timedelta(days=200), valid_until=today - timedelta(days=1)
        )
    return (today - timedelta(days=1)).isoformat()


def lapse_qualification(world: World, batch: Batch) -> None:
    sign_clearance(world, batch, "technician", Meaning.PERFORMED)
    lapse_gowning(world)


def exceed_duration(world: World, batch: Batch) -> None:
    with audited_write(SYSTEM, reason="test: a shorter media fill"):
        MasterRecord.objects.filter(pk=batch.master_record_id).update(
            envelope_max_duration_h=Decimal("0.25")
        )


def failed_filter_test(world: World, batch: Batch) -> None:
    filter_test(world, batch, "2.9")  # a later retest, below the 3.2 bar bubble point


def unverified_filter_test(world: World, batch: Batch) -> None:
    filter_test(world, batch, verify=False)


def print_unreconciled_labels(world: World, batch: Batch) -> None:
    pharmacist = world.users["pharmacist"]
    labels.set_issuer(pharmacist, name="PUI du CHU de Lille", address="2 av. Oscar Lambret")
    labels.set_product_label(pharmacist, world.product, route="voie intraveineuse")
    # The twin's batch was filled on 2026-01-05: its lot expires on 2026-07-04 (180 days).
    labels.print_labels(
        world.users["technician"], Lot.objects.get(batch=batch), today=date(2026, 1, 21)
    )


# --- qualifications -------------------------------------------------------------------


def test_a_signer_whose_qualification_had_expired_blocks_release(world: World) -> None:
    batch = prepared(world, "QUAL-1")
    review(world, batch)
    sign_clearance(world, batch, "technician", Meaning.PERFORMED)
    assert "qualification_lapsed" not in reasons(batch)  # qualified on the day of signing
    expired = lapse_gowning(world)
    [item] = reasons(batch)["qualification_lapsed"]
    assert item.startswith(f"Tech Test: gowning expired on {expired} before signing line")
    assert "(performed, " in item
    with pytest.raises(ReleaseRefused) as refused:
        release_batch(
            world.users["pharmacist"],
            batch,
            password=PASSWORD,
            totp_code=code(world.users["pharmacist"]),
        )
    assert "qualification_lapsed" in {r.code.value for r in refused.value.reasons}
    assert "Tech Test: gowning expired" in refused.value.message


def test_every_signed_step_is_checked_with_its_own_requirements(world: World) -> None:
    batch = prepared(world, "QUAL-2")
    # QA verified the clearance without any aseptic qualification (a signature written by
    # another path than the service, which would have refused it).
    sign_clearance(world, batch, "qa", Meaning.VERIFIED)
    # The decontamination the batch was sent to the line with, verified by the pharmacist
    # (no media fill, no gowning); line work needs no product training.
    now = datetime.now(UTC)
    with audited_write(SYSTEM, reason="test: the line state the batch was sent with"):
        decon = Decontamination.objects.create(
            cycle_id="VHP-QUAL-2", done_at=now, valid_until=now + timedelta(days=2)
        )
        Batch.objects.filter(pk=batch.pk).update(decontamination=decon)
    write_signature(world.users["technician"], decon, Meaning.PERFORMED, comment="vhp")
    write_signature(world.users["pharmacist"], decon, Meaning.VERIFIED, comment="vhp")
    batch.refresh_from_db()
    items = reasons(batch)["qualification_lapsed"]
    assert [i.split(" when signing ")[0] for i in items] == [
        "Qa Test: no aseptic_process_simulation qualification",
        "Qa Test: no gowning qualification",
        "Pharma Test: no aseptic_process_simulation qualification",
        "Pharma Test: no gowning qualification",
    ]
    assert all("Tech Test" not in i for i in items)
    assert "decontamination VHP VHP-QUAL-2 (verified" in items[2]


# --- media-fill envelope ----------------------------------------------------------------


def test_the_batch_duration_beyond_the_media_fill_blocks_and_says_which(world: World) -> None:
    batch = prepared(world, "ENV-1")
    assert "outside_envelope" not in reasons(batch)  # under 8 h on the line
    exceed_duration(world, batch)
    batch.refresh_from_db()
    [item] = reasons(batch)["outside_envelope"]
    assert item.startswith("duration on the line ")
    assert "> 0.25 h (media fill of 2026-09-01)" in item
    with audited_write(SYSTEM, reason="test: bigger than the media fill"):
        Batch.objects.filter(pk=batch.pk).update(quantity_vials=6000)
    batch.refresh_from_db()
    items = reasons(batch)["outside_envelope"]
    assert items[0] == "batch size 6000 vials > 5000 vials (media fill of 2026-09-01)"
    assert items[1].startswith("duration on the line ")
    assert not release_facts(batch).within_envelope


# --- filter integrity -------------------------------------------------------------------


def test_filter_integrity_missing_unverified_failed_then_passed(world: World) -> None:
    batch = prepared(world, "FIL-1", filtered=False)
    review(world, batch)
    facts = release_facts(batch)
    assert (facts.filtration_used, facts.filter_integrity_passed) == (True, None)
    blocked = {r.code.value: r.message for r in release_checklist(batch)}
    assert blocked["filter_integrity"] == "the sterile-filter integrity test is missing"
    first = filter_test(world, batch, "3.5", verify=False)
    assert first.passed
    assert "filter_integrity" in reasons(batch)  # performed but not verified yet
    other = second_technician()
    verify_filter_test(other, first, password=PASSWORD, totp_code=code(other))
    assert "filter_integrity" not in reasons(batch)
    failed_filter_test(world, batch)
    blocked = {r.code.value: r.message for r in release_checklist(batch)}
    assert blocked["filter_integrity"] == "the sterile-filter integrity test is failed"
    filter_test(world, batch, "3.4")  # a retest after wetting the filter again
    assert release_checklist(batch) == []
    assert FilterIntegrityTest.objects.filter(batch=batch).count() == 3


def test_diffusion_and_pressure_hold_pass_at_or_below_their_limit(world: World) -> None:
    batch = prepared(world, "FIL-2", filtered=False)
    tech = world.users["technician"]
    judged = []
    for method, value in (("diffusion", "12"), ("diffusion", "12.5"), ("Pressure hold", "0.05")):
        test = record_filter_test(
            tech,
            batch,
            filter_lot="F-1",
            method=method,
            value=value,
            limit="12" if method == "diffusion" else "0.1",
            unit="mL/min" if method == "diffusion" else "bar",
            password=PASSWORD,
            totp_code=code(tech),
        )
        judged.append((test.method, test.passed))
    assert judged == [("diffusion", True), ("diffusion", False), ("pressure_hold", True)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"filter_lot": " "}, "filter_lot"),
        ({"method": "visual"}, "method"),
        ({"value": "abc"}, "value"),
        ({"value": "-1"}, "value"),
        ({"limit": ""}, "limit"),
        ({"unit": ""}, "unit"),
        ({"totp_code": "000000"}, "totp_code"),
    ],
)
def test_a_bad_filter_test_is_refused_naming_the_field(
    world: World, change: dict[str, str], field: str
) -> None:
    batch = prepared(world, "FIL-3", filtered=False)
    tech = world.users["technician"]
    given = {
        "filter_lot": "F-1",
        "method": "bubble_point",
        "value": "3,6",
        "limit": "3.2",
        "unit": "bar",
        "password": PASSWORD,
        "totp_code": code(tech),
    } | change
    with pytest.raises(Refused) as refused:
        record_filter_test(tech, batch, **given)
    assert refused.value.field == field
    assert not FilterIntegrityTest.objects.exists()


def test_filter_test_roles_verifier_and_state(world: World) -> None:
    batch = prepared(world, "FIL-4", filtered=False)
    tech, qa = world.users["technician"], world.users["qa"]
    with pytest.raises(NotPermitted):
        record_filter_test(
            qa,
            batch,
            filter_lot="F-1",
            method="bubble_point",
            value="3.6",
            limit="3.2",
            unit="bar",
            password=PASSWORD,
            totp_code=code(qa),
        )
    test = filter_test(world, batch, verify=False)
    assert test.value == Decimal("3.6")
    with pytest.raises(NotPermitted) as same:
        verify_filter_test(tech, test, password=PASSWORD, totp_code=code(tech))
    assert same.value.field == "user"
    other = second_technician()
    verify_filter_test(other, test, password=PASSWORD, totp_code=code(other))
    with pytest.raises(Conflict):
        verify_filter_test(other, test, password=PASSWORD, totp_code=code(other))
    # Who tested the filter did a step of the batch: not its reviewer or releaser.
    assert {tech.pk, other.pk} <= performers(batch)
    with audited_write(SYSTEM, reason="test: back before the line clearance"):
        Batch.objects.filter(pk=batch.pk).update(state="planned")
    batch.refresh_from_db()
    with pytest.raises(Conflict) as early:
        filter_test(world, batch, verify=False)
    assert early.value.field == "state"
    assert FilterIntegrityTest.objects.filter(batch=batch).count() == 1


def test_filter_test_page_records_and_verifies(world: World) -> None:
    batch = prepared(world, "FIL-5", filtered=False)
    tech, other = world.users["technician"], second_technician()
    client = Client()
    client.force_login(tech)
    page = client.get("/release/FIL-5/filter-test")
    assert page.status_code == 200
    assert 'id="filter-test-form"' in page.content.decode()
    bad = client.post(
        "/release/FIL-5/filter-test",
        {"filter_lot": "F-9", "method": "bubble_point", "value": "x", "limit": "3.2"},
        follow=True,
    )
    assert "value:" in bad.content.decode()
    assert not FilterIntegrityTest.objects.exists()
    done = client.post(
        "/release/FIL-5/filter-test",
        {
            "filter_lot": "F-9",
            "method": "bubble_point",
            "value": "3.7",
            "limit": "3.2",
            "unit": "bar",
            "password": PASSWORD,
            "totp_code": code(tech),
        },
        follow=True,
    )
    assert "F-9" in done.content.decode()
    test = FilterIntegrityTest.objects.get(batch=batch)
    verifier = Client()
    verifier.force_login(other)
    verifier.post(
        f"/release/FIL-5/filter-test/{test.pk}/verify",
        {"password": PASSWORD, "totp_code": code(other)},
    )
    assert "filter_integrity" not in reasons(batch)
    # The release page shows the test; QA (no RUN_BATCH) gets no form and no page.
    qa = Client()
    qa.force_login(world.users["qa"])
    shown = qa.get("/release/FIL-5/").content.decode()
    assert "F-9" in shown
    assert "Tech2 Test" in shown
    assert 'id="filter-test-link"' not in shown
    assert qa.get("/release/FIL-5/filter-test").status_code == 403


def test_filter_test_api(world: World) -> None:
    batch = prepared(world, "FIL-6", filtered=False)
    tech, other = world.users["technician"], second_technician()
    client = Client()
    client.force_login(tech)
    body = {
        "filter_lot": "F-7",
        "method": "bubble_point",
        "value": "3.1",
        "limit": "3.2",
        "unit": "bar",
        "password": PASSWORD,
        "totp_code": code(tech),
    }
    bad = client.post(
        "/api/release/batches/FIL-6/filter-tests",
        body | {"method": "nope"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "method"
    made = client.post(
        "/api/release/batches/FIL-6/filter-tests", body, content_type="application/json"
    )
    assert made.status_code == 201
    out = made.json()
    assert (out["passed"], out["value"]) == (False, "3.1")
    assert out["signatures"][0].startswith("performed by Tech Test")
    second = Client()
    second.force_login(other)
    verified = second.post(
        f"/api/release/batches/FIL-6/filter-tests/{out['id']}/verify",
        {"password": PASSWORD, "totp_code": code(other)},
        content_type="application/json",
    )
    assert verified.status_code == 200
    assert len(verified.json()["signatures"]) == 2
    missing = second.post(
        "/api/release/batches/FIL-6/filter-tests/999/verify",
        {"password": PASSWORD, "totp_code": code(other)},
        content_type="application/json",
    )
    assert (missing.status_code, missing.json()["field"]) == (404, "test_id")
    qa = Client()
    qa.force_login(world.users["qa"])
    assert (
        qa.post(
            "/api/release/batches/FIL-6/filter-tests", body, content_type="application/json"
        ).status_code
        == 403
    )
    batch.refresh_from_db()
    assert reasons(batch).get("filter_integrity") is not None  # the verified test failed


# --- label reconciliation ---------------------------------------------------------------


def test_printed_labels_not_reconciled_block_release_until_counted(world: World) -> None:
    batch = prepared(world, "LAB-1")
    review(world, batch)
    print_unreconciled_labels(world, batch)
    lot = Lot.objects.get(batch=batch)
    printed = labels.label_reconciliation(lot)
    assert printed is not None
    assert printed.printed > 0
    pharmacist = world.users["pharmacist"]
    with pytest.raises(ReleaseRefused) as refused:
        release_batch(pharmacist, batch, password=PASSWORD, totp_code=code(pharmacist))
    assert {r.code.value for r in refused.value.reasons} == {"label_reconciliation_mismatch"}
    assert f"{printed.printed} labels printed, difference {printed.printed}" in (
        refused.value.message
    )
    labels.record_label_count(
        world.users["technician"], lot, kind="applied", quantity=printed.printed - 2
    )
    assert "label_reconciliation_mismatch" in reasons(batch)
    labels.record_label_count(
        world.users["technician"], lot, kind="destroyed", quantity=2, reason="misprint"
    )
    assert release_checklist(batch) == []
    release_batch(pharmacist, batch, password=PASSWORD, totp_code=code(pharmacist))
    batch.refresh_from_db()
    assert batch.state == "released"
