"""Signing: re-authentication, second factor, meaning, qualification, binding to content.

A signature stores the SHA-256 of the record's signed content (RFC 8785 canonical JSON). It
is valid while the record still hashes to it and no withdrawal names it; a later change
therefore shows the record as unsigned, without touching the signature row (append-only).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyotp
import rfc8785
from django.conf import settings
from django.db import models

from rempart.domain.errors import DomainError
from rempart.domain.qualification import Requirement
from rempart.domain.signatures import Meaning, check_signer, displayed_time, parse_meaning
from rempart.mes.accounts.models import User
from rempart.mes.accounts.services import actor_for, check_password_again, qualification_problems
from rempart.mes.audit.context import audited_write
from rempart.mes.core.errors import NotPermitted, Refused
from rempart.mes.signatures.models import Signature

#: A signable record is a model with `signed_content()`: the fields a signature binds.
Signable = models.Model
Content = dict[str, str | int | None]


def _signed_content(record: Signable) -> Content:
    method: Callable[[], Content] | None = getattr(record, "signed_content", None)
    if method is None:
        raise TypeError(f"{record._meta.label} defines no signed_content(): it cannot be signed")
    return method()


def entity_of(record: Signable) -> tuple[str, str]:
    return record._meta.label_lower, str(record.pk)


def content_hash(record: Signable) -> str:
    entity, key = entity_of(record)
    document: Any = {"entity": entity, "key": key, "content": _signed_content(record)}
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()


def check_signer_may_sign(
    signer: User,
    *,
    meaning: str,
    password: str,
    totp_code: str,
    requirements: Sequence[Requirement] = (),
    ip: str | None = None,
) -> Meaning:
    """Every check before a signature is written; `Refused` names the first failure."""
    if not signer.is_active:
        raise NotPermitted("this account is deactivated")
    try:
        chosen = parse_meaning(meaning)
        check_signer(signer.role, chosen)
    except DomainError as exc:
        raise NotPermitted(exc.message, field="meaning") from None
    check_password_again(signer, password, ip)
    code = totp_code.strip().replace(" ", "")
    if not code:
        raise Refused("enter the 6-digit code of your authenticator", field="totp_code")
    if not signer.totp_secret or not pyotp.TOTP(signer.totp_secret).verify(code, valid_window=1):
        raise Refused("the authenticator code is wrong or expired", field="totp_code")
    problems = qualification_problems(signer, requirements, datetime.now(UTC).date())
    if problems:
        raise NotPermitted("not qualified: " + "; ".join(problems), field="qualification")
    return chosen


def write_signature(
    signer: User,
    record: Signable,
    meaning: Meaning,
    *,
    comment: str = "",
    withdraws: Signature | None = None,
    request_id: str = "",
) -> Signature:
    """Append the signature row (inside the caller's audited transaction when there is one)."""
    entity, key = entity_of(record)
    signature = Signature(
        signer=signer,
        printed_name=signer.printed_name,
        role=signer.role,
        meaning=meaning.value,
        zone=settings.TIME_ZONE,
        entity=entity,
        entity_key=key,
        content_hash=content_hash(record),
        withdraws=withdraws,
        comment=comment.strip(),
    )
    with audited_write(actor_for(signer, request_id)):
        signature.save()
    signature.refresh_from_db()
    return signature


def withdraw_signature(
    signer: User,
    signature: Signature,
    record: Signable,
    *,
    password: str,
    totp_code: str,
    reason: str,
    request_id: str = "",
    ip: str | None = None,
) -> Signature:
    """Withdrawal is a new signed event by the same person; the original row stays."""
    if signature.signer_id != signer.pk:
        raise NotPermitted("only the signer may withdraw their signature", field="signature")
    if entity_of(record) != (signature.entity, signature.entity_key):
        raise Refused("this signature belongs to another record", field="signature")
    if not reason.strip():
        raise Refused("say why the signature is withdrawn", field="reason")
    check_signer_may_sign(
        signer, meaning=Meaning.WITHDRAWN, password=password, totp_code=totp_code, ip=ip
    )
    return write_signature(
        signer,
        record,
        Meaning.WITHDRAWN,
        comment=reason,
        withdraws=signature,
        request_id=request_id,
    )


@dataclass(frozen=True, slots=True)
class ShownSignature:
    """A signature as every screen shows it: who, meaning, local time with offset, validity."""

    signature: Signature
    valid: bool
    status: str

    @property
    def when(self) -> str:
        return displayed_time(self.signature.signed_at, self.signature.zone)

    @property
    def text(self) -> str:
        return (
            f"{self.signature.printed_name} ({self.signature.role}) — {self.signature.meaning} — "
            f"{displayed_time(self.signature.signed_at, self.signature.zone)}"
        )


def signatures_of(record: Signable) -> list[ShownSignature]:
    entity, key = entity_of(record)
    rows = list(Signature.objects.filter(entity=entity, entity_key=key).order_by("signed_at", "id"))
    withdrawn = {r.withdraws_id for r in rows if r.withdraws_id is not None}
    current = content_hash(record)
    shown = []
    for row in rows:
        if row.meaning == Meaning.WITHDRAWN:
            shown.append(ShownSignature(row, True, "withdrawal"))
        elif row.pk in withdrawn:
            shown.append(ShownSignature(row, False, "withdrawn"))
        elif row.content_hash != current:
            shown.append(ShownSignature(row, False, "invalidated by a later change"))
        else:
            shown.append(ShownSignature(row, True, "valid"))
    return shown


def valid_signature(record: Signable, meaning: Meaning) -> ShownSignature | None:
    for shown in signatures_of(record):
        if shown.valid and shown.signature.meaning == meaning:
            return shown
    return None
