"""E-signatures: every refusal, binding to content, withdrawal, append-only, display."""

from __future__ import annotations

import pyotp
import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from rempart.domain.qualification import QualificationKind
from rempart.domain.roles import Role
from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import LoginFailure, Qualification
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.catalog.services import master_records
from rempart.mes.core.errors import NotPermitted, Refused
from rempart.mes.signatures.models import Signature
from rempart.mes.signatures.services import (
    signatures_of,
    valid_signature,
    withdraw_signature,
)

from .conftest import PASSWORD, World, make_user, record_content


@pytest.fixture
def in_review(world: World) -> MasterRecord:
    draft = master_records.create_draft(
        world.users["pharmacist"], world.product, {"diluent": "NaCl 0,9 %"}
    )
    return master_records.submit_for_review(world.users["pharmacist"], draft)


def _approve(world: World, record: MasterRecord, **overrides: str) -> Signature:
    qa = world.users["qa"]
    args = {
        "password": PASSWORD,
        "totp_code": pyotp.TOTP(qa.totp_secret).now(),
        "meaning": "approved",
    }
    args.update(overrides)
    return master_records.approve(qa, record, **args)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password": ""}, "password", "enter your password"),
        ({"password": "not-my-password"}, "password", "wrong password"),
        ({"totp_code": ""}, "totp_code", "6-digit code"),
        ({"totp_code": "123456"}, "totp_code", "wrong or expired"),
        ({"meaning": "blessed"}, "meaning", "'approved'"),
    ],
)
def test_signature_refusals_change_nothing(
    world: World, in_review: MasterRecord, overrides: dict[str, str], field: str, message: str
) -> None:
    before = Signature.objects.count()
    with pytest.raises(Refused, match=message) as refusal:
        _approve(world, in_review, **overrides)
    assert refusal.value.field == field
    in_review.refresh_from_db()
    assert in_review.state == "in_review"
    assert Signature.objects.count() == before


def test_unknown_meaning_is_refused_with_the_controlled_list(world: World) -> None:
    from rempart.mes.signatures.services import check_signer_may_sign

    with pytest.raises(NotPermitted, match="choose one of performed, verified"):
        check_signer_may_sign(
            world.users["qa"], meaning="blessed", password=PASSWORD, totp_code="1"
        )


def test_a_role_may_sign_only_its_meanings(world: World) -> None:
    from rempart.mes.signatures.services import check_signer_may_sign

    with pytest.raises(NotPermitted, match="may not sign as released"):
        check_signer_may_sign(
            world.users["qa"], meaning="released", password=PASSWORD, totp_code="1"
        )


def test_unqualified_signer_is_refused_with_the_reason(
    world: World, in_review: MasterRecord
) -> None:
    qa = world.users["qa"]
    # A second reviewer whose only training on this record expired.
    other = make_user("qa2", Role.QA_REVIEWER)
    with audited_write(Actor.system("tests")):
        Qualification.objects.create(
            user=other,
            kind=QualificationKind.MASTER_RECORD_TRAINING.value,
            product=world.product,
            valid_from="2024-01-01",
            valid_until="2025-01-01",
            evidence="old session",
        )
    with pytest.raises(NotPermitted, match="expired on 2025-01-01") as refusal:
        master_records.approve(
            other, in_review, password=PASSWORD, totp_code=pyotp.TOTP(other.totp_secret).now()
        )
    assert refusal.value.field == "qualification"
    assert qa.pk != other.pk


def test_author_cannot_approve_own_version(world: World, in_review: MasterRecord) -> None:
    pharmacist = world.users["pharmacist"]
    with pytest.raises(NotPermitted, match="author"):
        master_records.approve(
            pharmacist,
            in_review,
            password=PASSWORD,
            totp_code=pyotp.TOTP(pharmacist.totp_secret).now(),
        )


def test_wrong_signing_passwords_count_towards_lockout(
    world: World, in_review: MasterRecord
) -> None:
    for _ in range(5):
        with pytest.raises(Refused):
            _approve(world, in_review, password="nope")
    assert LoginFailure.objects.filter(username="qa").count() == 5
    with pytest.raises(Refused, match="too many failed attempts"):
        _approve(world, in_review)


def test_approval_signs_supersedes_and_shows_the_printed_signature(
    world: World, in_review: MasterRecord
) -> None:
    signature = _approve(world, in_review)
    in_review.refresh_from_db()
    world.record.refresh_from_db()
    assert (in_review.state, world.record.state) == ("approved", "superseded")
    shown = valid_signature(in_review, Meaning.APPROVED)
    assert shown is not None
    assert shown.signature.pk == signature.pk
    assert shown.signature.printed_name == world.users["qa"].printed_name
    assert "(Europe/Paris)" in shown.when
    assert "UTC+0" in shown.when
    # The superseded version keeps its valid signature: its content did not change.
    assert valid_signature(world.record, Meaning.APPROVED) is not None


def test_a_later_change_invalidates_the_signature(world: World) -> None:
    record = world.record
    assert valid_signature(record, Meaning.APPROVED) is not None
    with audited_write(Actor.system("tests"), reason="direct database correction"):
        MasterRecord.objects.filter(pk=record.pk).update(diluent="something else")
    record.refresh_from_db()
    assert valid_signature(record, Meaning.APPROVED) is None
    [shown] = signatures_of(record)
    assert shown.status == "invalidated by a later change"


def test_withdrawal_is_a_new_signed_event(world: World) -> None:
    qa = world.users["qa"]
    [original] = Signature.objects.filter(entity_key=str(world.record.pk))
    with pytest.raises(Refused, match="say why"):
        withdraw_signature(qa, original, world.record, password=PASSWORD, totp_code="1", reason="")
    withdrawal = withdraw_signature(
        qa,
        original,
        world.record,
        password=PASSWORD,
        totp_code=pyotp.TOTP(qa.totp_secret).now(),
        reason="signed the wrong version",
    )
    assert withdrawal.withdraws_id == original.pk
    statuses = [s.status for s in signatures_of(world.record)]
    assert statuses == ["withdrawn", "withdrawal"]
    assert Signature.objects.filter(pk=original.pk).exists()


def test_nobody_withdraws_someone_elses_signature(world: World) -> None:
    [original] = Signature.objects.filter(entity_key=str(world.record.pk))
    with pytest.raises(NotPermitted, match="only the signer"):
        withdraw_signature(
            world.users["pharmacist"],
            original,
            world.record,
            password=PASSWORD,
            totp_code="1",
            reason="x",
        )


@pytest.mark.parametrize(
    "statement",
    ["UPDATE signatures_signature SET meaning = 'rejected'", "DELETE FROM signatures_signature"],
)
def test_signature_table_is_append_only(world: World, statement: str) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        audited_write(Actor.system("tests"), reason="tamper"),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def test_signing_as_someone_else_is_impossible_through_the_api(
    world: World, in_review: MasterRecord
) -> None:
    """The signer is the session's person; another person's password does not help."""
    client = Client()
    client.force_login(world.users["qa"])
    pharmacist = world.users["pharmacist"]
    response = client.post(
        f"/api/master-records/{in_review.pk}/approve",
        {
            "password": PASSWORD + "x",
            "totp_code": pyotp.TOTP(pharmacist.totp_secret).now(),
            "signer": "pharma",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "password"
    assert not Signature.objects.filter(entity_key=str(in_review.pk)).exists()


def test_record_content_is_required_to_create_a_first_draft(world: World) -> None:
    from rempart.mes.catalog.models import Product

    other = Product.objects.get(pk=world.product.pk)
    other.pk = None
    other.code = "ROCU-NEW"
    with audited_write(Actor.system("tests")):
        other.save()
    with pytest.raises(Refused, match="required") as refusal:
        master_records.create_draft(world.users["pharmacist"], other, {})
    assert refusal.value.field == "batch_size_vials"
    record = master_records.create_draft(world.users["pharmacist"], other, record_content())
    assert record.version == 1
