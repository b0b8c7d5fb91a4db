"""Release through the service, the cockpit and the release page: every blocking reason of
the checklist refuses release (all listed, nothing changed) and shows on the pages; the
releaser rules; invalidated signatures block until signed again; release and rejection move
the batch and its lot together; two pharmacists at once give one release."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client

from rempart.domain.batch import BatchState
from rempart.domain.qualification import QualificationKind
from rempart.domain.signatures import Meaning
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch, LineClearance
from rempart.mes.batches.services import move
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.machine.models import DataGap, Reconciliation, VialRecord
from rempart.mes.qc import services as qc
from rempart.mes.qc.facts import release_checklist, release_decisions
from rempart.mes.quality.services import record_deviation
from rempart.mes.release.models import ReleaseDecision
from rempart.mes.release.services import (
    ReleaseRefused,
    reject_batch,
    release_batch,
    review_audit_trail,
)
from rempart.mes.signatures.services import write_signature
from rempart.mes.stock.models import Lot
from tests.mes.conftest import PASSWORD, World, qualify
from tests.mes.qc.factories import line_of, second_pharmacist
from tests.twin.conftest import START

from .conftest import code, prepared, review
from .test_checklist_inputs import (
    exceed_duration,
    failed_filter_test,
    lapse_qualification,
    print_unreconciled_labels,
    unverified_filter_test,
)

SYSTEM = Actor.system("tests")


def release(world: World, batch: Batch, who: str = "pharmacist") -> ReleaseDecision:
    user = world.users[who]
    return release_batch(user, batch, password=PASSWORD, totp_code=code(user), comment="ok")


def codes_of(exc: ReleaseRefused) -> set[str]:
    return {r.code.value for r in exc.reasons}


def test_release_moves_batch_and_lot_in_one_step_with_the_expiry(
    world: World, ready: Batch
) -> None:
    assert release_checklist(ready) == []
    decision = release(world, ready)
    ready.refresh_from_db()
    lot = Lot.objects.get(batch=ready)
    assert (ready.state, lot.status) == ("released", "released")
    # Fill date 2026-01-05 + 180 days' shelf life.
    assert lot.expiry_date == decision.expiry_date
    assert lot.expiry_date.isoformat() == "2026-07-04"
    rows = release_decisions(ready)
    assert [(r["record"], r["meaning"], r["status"]) for r in rows] == [
        ("audit trail review", "reviewed", "valid"),
        ("batch released", "released", "valid"),
    ]
    assert rows[1]["who"] == world.users["pharmacist"].printed_name
    assert "UTC+" in rows[1]["when"]
    with pytest.raises(Conflict) as again:
        release(world, ready)
    assert again.value.field == "batch"


def test_rejection_moves_batch_and_lot_to_rejected(world: World) -> None:
    batch = prepared(world, "REL-REJ", assay="80")
    pharma = world.users["pharmacist"]
    with pytest.raises(Refused) as no_reason:
        reject_batch(pharma, batch, password=PASSWORD, totp_code=code(pharma), reason=" ")
    assert no_reason.value.field == "reason"
    reject_batch(pharma, batch, password=PASSWORD, totp_code=code(pharma), reason="assay OOS")
    batch.refresh_from_db()
    assert (batch.state, Lot.objects.get(batch=batch).status) == ("rejected", "rejected")
    assert release_decisions(batch)[-1]["meaning"] == "rejected"


def test_a_reason_or_comment_longer_than_its_column_is_refused_not_cut(world: World) -> None:
    # Signed records: the text was cut to 500 characters before it was signed.
    batch = prepared(world, "REL-LONG", assay="80")
    pharma, qa = world.users["pharmacist"], world.users["qa"]
    with pytest.raises(Refused) as long:
        reject_batch(pharma, batch, password=PASSWORD, totp_code=code(pharma), reason="r" * 501)
    assert (long.value.field, long.value.message) == ("reason", "at most 500 characters, got 501")
    with pytest.raises(Refused) as long:
        review_audit_trail(qa, batch, password=PASSWORD, totp_code=code(qa), comment="c" * 501)
    assert long.value.field == "comment"
    batch.refresh_from_db()
    assert batch.state != "rejected"
    assert release_decisions(batch) == []


def _clearance(world: World, batch: Batch, who: str, meaning: Meaning) -> LineClearance:
    with audited_write(SYSTEM):
        clearance, _ = LineClearance.objects.get_or_create(batch=batch, checks="line clear")
    write_signature(world.users[who], clearance, meaning, comment="line clearance")
    return clearance


def _spoil_deviation(world: World, batch: Batch) -> None:
    record_deviation(
        SYSTEM,
        title="broken stopper bowl",
        description="d",
        source="manual",
        batch_numbers=[batch.batch_number],
    )


def _spoil_em(world: World, batch: Batch) -> None:
    qc.record_viable_em(
        world.users["qc"],
        line_id=line_of(batch.batch_number),
        location="glove port 1",
        grade="A",
        sample_type="glove_print",
        cfu=2,
        sampled_at=START + timedelta(hours=1, minutes=15),
        read_at=START + timedelta(days=5),
    )


def _spoil_reconciliation(world: World, batch: Batch) -> None:
    rec = Reconciliation.objects.get(batch_number=batch.batch_number)
    with audited_write(SYSTEM, reason="test: recount"):
        Reconciliation.objects.filter(pk=rec.pk).update(accepted=rec.accepted - 5)


def _spoil_inspection(world: World, batch: Batch) -> None:
    vial = VialRecord.objects.filter(
        batch_number=batch.batch_number, terminal_state="accepted"
    ).first()
    assert vial is not None
    VialRecord.objects.filter(pk=vial.pk).update(inspection_result=None)


def _spoil_gap(world: World, batch: Batch) -> None:
    with audited_write(SYSTEM):
        DataGap.objects.create(
            line_id=batch.line_id,
            first_sequence=900,
            last_sequence=910,
            batch_number=batch.batch_number,
        )


def _spoil_envelope(world: World, batch: Batch) -> None:
    with audited_write(SYSTEM, reason="test: beyond the media fill"):
        Batch.objects.filter(pk=batch.pk).update(quantity_vials=6000)


def _spoil_hold(world: World, batch: Batch) -> None:
    move(SYSTEM, batch, BatchState.ON_HOLD, reason="test: complaint")


def _spoil_reviewer(world: World, batch: Batch) -> None:
    _clearance(world, batch, "qa", Meaning.VERIFIED)  # the reviewer now did a step


def _spoil_signature(world: World, batch: Batch) -> None:
    clearance = _clearance(world, batch, "technician", Meaning.PERFORMED)
    with audited_write(SYSTEM, reason="test: correction after signing"):
        LineClearance.objects.filter(pk=clearance.pk).update(checks="line clear, corrected")


def _spoil_after_review(world: World, batch: Batch) -> None:
    rec = Reconciliation.objects.get(batch_number=batch.batch_number)
    with audited_write(SYSTEM, reason="test: correction after the review"):
        Reconciliation.objects.filter(pk=rec.pk).update(reason="corrected")


Spoil = Callable[[World, Batch], None]
#: (name, results to enter, review first?, spoil after, codes expected among the refusal's)
CASES: list[tuple[str, dict[str, object], bool, Spoil | None, set[str]]] = [
    ("qc pending", {"skip": ("sterility",)}, True, None, {"qc_pending", "wrong_state"}),
    ("qc failed", {"assay": "90"}, True, None, {"qc_failed", "open_deviation"}),
    ("open deviation", {}, True, _spoil_deviation, {"open_deviation"}),
    ("em excursion", {}, True, _spoil_em, {"em_action_excursion"}),
    ("reconciliation", {}, True, _spoil_reconciliation, {"reconciliation_mismatch"}),
    ("inspection", {}, True, _spoil_inspection, {"inspection_incomplete"}),
    ("data gap", {}, True, _spoil_gap, {"data_gap"}),
    ("envelope", {}, True, _spoil_envelope, {"outside_envelope"}),
    ("not reviewed", {}, False, None, {"audit_trail_not_reviewed"}),
    ("reviewer did a step", {}, True, _spoil_reviewer, {"audit_reviewer_not_independent"}),
    ("signature invalidated", {}, True, _spoil_signature, {"signature_invalidated"}),
    ("changed after review", {}, True, _spoil_after_review, {"exceptions_not_reviewed"}),
    ("on hold", {}, True, _spoil_hold, {"wrong_state"}),
    ("qualification lapsed", {}, True, lapse_qualification, {"qualification_lapsed"}),
    ("duration envelope", {}, True, exceed_duration, {"outside_envelope"}),
    ("filter test missing", {"filtered": False}, True, None, {"filter_integrity"}),
    (
        "filter test unverified",
        {"filtered": False},
        True,
        unverified_filter_test,
        {"filter_integrity"},
    ),
    ("filter test failed", {}, True, failed_filter_test, {"filter_integrity"}),
    ("labels", {}, True, print_unreconciled_labels, {"label_reconciliation_mismatch"}),
]


@pytest.mark.parametrize(
    ("results", "reviewed", "spoil", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_every_blocking_reason_refuses_release_and_shows_on_the_pages(
    world: World,
    results: dict[str, object],
    reviewed: bool,
    spoil: Spoil | None,
    expected: set[str],
) -> None:
    batch = prepared(world, "REL-B", **results)  # type: ignore[arg-type]
    if reviewed:
        review(world, batch)
    if spoil is not None:
        spoil(world, batch)
    batch.refresh_from_db()
    state = batch.state
    with pytest.raises(ReleaseRefused) as refused:
        release(world, batch)
    assert expected <= codes_of(refused.value)
    assert refused.value.field == "checklist"
    for reason in refused.value.reasons:  # every reason is in the one message
        assert reason.message in refused.value.message
    batch.refresh_from_db()
    assert batch.state == state
    assert Lot.objects.get(batch=batch).status == "quarantine"
    assert not ReleaseDecision.objects.filter(batch=batch).exists()

    client = Client()
    client.force_login(world.users["pharmacist"])
    page = client.get(f"/release/{batch.batch_number}/").content.decode()
    cockpit = client.get("/release/").content.decode()
    for expected_code in expected:
        assert f'data-code="{expected_code}"' in page
        if batch.state in ("quarantine", "under_review"):
            assert f'data-code="{expected_code}"' in cockpit
    response = client.post(
        f"/release/{batch.batch_number}/release",
        {"password": PASSWORD, "totp_code": code(world.users["pharmacist"])},
        follow=True,
    )
    shown = response.content.decode()
    for reason in refused.value.reasons:
        assert reason.code.value in shown


def test_a_ready_batch_shows_no_exception_on_the_cockpit(world: World, ready: Batch) -> None:
    client = Client()
    client.force_login(world.users["qa"])
    page = client.get("/release/").content.decode()
    assert "REL-001" in page
    assert "data-code=" not in page


def test_only_a_pharmacist_releases_and_not_one_who_did_a_step(world: World, ready: Batch) -> None:
    for who in ("technician", "qa", "qc"):
        user = world.users[who]
        with pytest.raises(NotPermitted):
            release_batch(user, ready, password=PASSWORD, totp_code=code(user))
    pharmacist = world.users["pharmacist"]
    qualify(pharmacist, QualificationKind.ASEPTIC_PROCESS_SIMULATION)
    qualify(pharmacist, QualificationKind.GOWNING)
    _clearance(world, ready, "pharmacist", Meaning.VERIFIED)
    with pytest.raises(ReleaseRefused) as refused:
        release(world, ready)
    assert codes_of(refused.value) == {"releaser_not_independent"}
    # Another pharmacist, who did nothing on the batch, may: a new signature changes no
    # record, so the QA review still covers every exception.
    other = second_pharmacist()
    release_batch(other, ready, password=PASSWORD, totp_code=code(other))
    ready.refresh_from_db()
    assert ready.state == "released"


def test_a_person_who_did_a_step_cannot_review_the_audit_trail(world: World) -> None:
    batch = prepared(world, "REL-REV")
    tech = world.users["technician"]  # may not review at all (role)
    with pytest.raises(NotPermitted):
        review_audit_trail(tech, batch, password=PASSWORD, totp_code=code(tech))
    _clearance(world, batch, "pharmacist", Meaning.VERIFIED)
    _clearance(world, batch, "qa", Meaning.PERFORMED)
    for who in ("pharmacist", "qa"):
        with pytest.raises(NotPermitted) as refused:
            review(world, batch, who=who)
        assert refused.value.field == "user"
        assert "performed a step" in refused.value.message
    assert release_decisions(batch) == []


def test_an_invalidated_signature_blocks_until_signed_again(world: World, ready: Batch) -> None:
    _spoil_signature(world, ready)
    reasons = {r.code.value: r for r in release_checklist(ready)}
    assert "signature_invalidated" in reasons
    assert "performed by Tech Test" in reasons["signature_invalidated"].items[0]
    clearance = LineClearance.objects.get(batch=ready)
    write_signature(world.users["technician"], clearance, Meaning.PERFORMED, comment="again")
    codes = {r.code.value for r in release_checklist(ready)}
    assert "signature_invalidated" not in codes
    assert codes == {"exceptions_not_reviewed"}  # the correction itself awaits review
    review(world, ready)
    assert release_checklist(ready) == []
    release(world, ready)


@pytest.mark.usefixtures("sqlite_flush_guard")
def test_two_pharmacists_releasing_at_once_give_one_release(world: World) -> None:
    batch = prepared(world, "REL-RACE")
    review(world, batch)
    users = [world.users["pharmacist"], second_pharmacist()]
    outcomes: list[str] = []
    if connection.vendor != "postgresql":
        # SQLite's in-memory test database is one connection: the race runs one after the
        # other there; PostgreSQL runs it with threads on separate connections.
        for user in users:
            try:
                release_batch(user, batch, password=PASSWORD, totp_code=code(user))
                outcomes.append("released")
            except Conflict:
                outcomes.append("conflict")
    else:
        start = threading.Barrier(len(users))

        def worker(user: object) -> None:
            try:
                start.wait()
                release_batch(user, batch, password=PASSWORD, totp_code=code(user))  # type: ignore[arg-type]
                outcomes.append("released")
            except Conflict:
                outcomes.append("conflict")
            except BaseException as exc:
                outcomes.append(repr(exc))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert sorted(outcomes) == ["conflict", "released"]
    assert ReleaseDecision.objects.filter(batch=batch).count() == 1
    batch.refresh_from_db()
    assert batch.state == "released"
    assert Lot.objects.get(batch=batch).status == "released"
    assert batch.events.filter(target="released").count() == 1
