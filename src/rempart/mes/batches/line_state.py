"""The line state a batch needs: decontamination cycles and format parts sets, each recorded
and signed "performed" by one qualified person, then signed "verified" by a second one.

`check_line_ready(line_id, vial_format, now)` is what ordering a batch and sending it to the
line call: it returns the valid decontamination and format parts set, or raises `Refused`
naming `decontamination` or `format_parts` (rules in `rempart.domain.preparation`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models

from rempart.domain.errors import DomainError
from rempart.domain.preparation import (
    LineStateRecord,
    check_decontamination,
    check_format_parts,
)
from rempart.domain.qualification import QualificationKind, Requirement
from rempart.domain.roles import Action
from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import audited_write
from rempart.mes.batches.models import Decontamination, FormatPartsSet
from rempart.mes.catalog.models import VialFormat
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.signatures.services import (
    check_signer_may_sign,
    valid_signature,
    write_signature,
)

#: Working in the isolator's grade A zone: the media fill and gowning qualifications.
LINE_WORK = (
    Requirement(QualificationKind.ASEPTIC_PROCESS_SIMULATION),
    Requirement(QualificationKind.GOWNING),
)
#: The longest validity a record may claim **[A]** (site procedures set the real figures).
MAX_DECONTAMINATION_VALIDITY = timedelta(days=7)
MAX_FORMAT_PARTS_VALIDITY = timedelta(days=30)


def _aware(moment: datetime | None, field: str) -> datetime:
    if moment is None:
        raise Refused("enter a date and time", field=field)
    if moment.tzinfo is None:
        raise Refused("the time needs a time zone", field=field)
    return moment


def _sign(user: User, meaning: str, password: str, totp_code: str, expected: Meaning) -> None:
    chosen = check_signer_may_sign(
        user, meaning=meaning, password=password, totp_code=totp_code, requirements=LINE_WORK
    )
    if chosen is not expected:
        raise Refused(f"this act is signed {expected}", field="meaning")


def record_decontamination(
    user: User,
    *,
    cycle_id: str,
    done_at: datetime | None,
    valid_until: datetime | None,
    password: str,
    totp_code: str,
    line_id: str = "LINE-1",
    method: str = "VHP",
    now: datetime | None = None,
    request_id: str = "",
) -> Decontamination:
    """Record a decontamination cycle of the line, signed "performed"."""
    require(user, Action.RUN_BATCH)
    cycle = cycle_id.strip()
    if not cycle or len(cycle) > 60:
        raise Refused("a cycle id has 1 to 60 characters", field="cycle_id")
    if not method.strip():
        raise Refused("name the method (for example VHP)", field="method")
    done, until = _aware(done_at, "done_at"), _aware(valid_until, "valid_until")
    moment = now or datetime.now(done.tzinfo)
    if done > moment:
        raise Refused("the cycle cannot end in the future", field="done_at")
    if until <= done:
        raise Refused("the validity must end after the cycle", field="valid_until")
    if until - done > MAX_DECONTAMINATION_VALIDITY:
        raise Refused(
            f"a decontamination is valid {MAX_DECONTAMINATION_VALIDITY.days} days at most",
            field="valid_until",
        )
    _sign(user, "performed", password, totp_code, Meaning.PERFORMED)
    if Decontamination.objects.filter(cycle_id=cycle).exists():
        raise Conflict(f"cycle {cycle} is already recorded", field="cycle_id")
    with audited_write(actor_for(user, request_id), reason="line decontamination performed"):
        record = Decontamination.objects.create(
            line_id=line_id, method=method.strip(), cycle_id=cycle, done_at=done, valid_until=until
        )
        write_signature(user, record, Meaning.PERFORMED, comment="decontamination")
    return record


def record_format_parts(
    user: User,
    *,
    set_code: str,
    vial_format: VialFormat,
    cleaned_at: datetime | None,
    sterilised_at: datetime | None,
    valid_until: datetime | None,
    password: str,
    totp_code: str,
    sterilisation_cycle: str = "",
    line_id: str = "LINE-1",
    now: datetime | None = None,
    request_id: str = "",
) -> FormatPartsSet:
    """Record a format parts set cleaned and sterilised for `vial_format`, signed "performed"."""
    require(user, Action.RUN_BATCH)
    code = set_code.strip()
    if not code or len(code) > 60:
        raise Refused("a set code has 1 to 60 characters", field="set_code")
    cleaned = _aware(cleaned_at, "cleaned_at")
    sterilised = _aware(sterilised_at, "sterilised_at")
    until = _aware(valid_until, "valid_until")
    moment = now or datetime.now(sterilised.tzinfo)
    if sterilised > moment:
        raise Refused("the sterilisation cannot end in the future", field="sterilised_at")
    if cleaned > sterilised:
        raise Refused("the parts are cleaned before they are sterilised", field="cleaned_at")
    if until <= sterilised:
        raise Refused("the validity must end after the sterilisation", field="valid_until")
    if until - sterilised > MAX_FORMAT_PARTS_VALIDITY:
        raise Refused(
            f"sterilised parts are valid {MAX_FORMAT_PARTS_VALIDITY.days} days at most",
            field="valid_until",
        )
    _sign(user, "performed", password, totp_code, Meaning.PERFORMED)
    if FormatPartsSet.objects.filter(set_code=code).exists():
        raise Conflict(f"format parts set {code} is already recorded", field="set_code")
    with audited_write(actor_for(user, request_id), reason="format parts prepared"):
        record = FormatPartsSet.objects.create(
            set_code=code,
            line_id=line_id,
            vial_format=vial_format,
            cleaned_at=cleaned,
            sterilised_at=sterilised,
            sterilisation_cycle=sterilisation_cycle.strip()[:60],
            valid_until=until,
        )
        write_signature(user, record, Meaning.PERFORMED, comment="format parts")
    return record


def verify(
    user: User,
    record: Decontamination | FormatPartsSet,
    *,
    password: str,
    totp_code: str,
    request_id: str = "",
) -> Decontamination | FormatPartsSet:
    """A second qualified person signs "verified"; the performer is refused."""
    require(user, Action.RUN_BATCH)
    _sign(user, "verified", password, totp_code, Meaning.VERIFIED)
    performed = valid_signature(record, Meaning.PERFORMED)
    if performed is None:
        raise Conflict(f"{record} has no valid performed signature", field="meaning")
    if performed.signature.signer_id == user.pk:
        raise NotPermitted("the verifier must not be who performed it", field="user")
    if valid_signature(record, Meaning.VERIFIED) is not None:
        raise Conflict(f"{record} is already verified", field="meaning")
    write_signature(user, record, Meaning.VERIFIED, comment=str(record), request_id=request_id)
    return record


def _verified(record: models.Model) -> bool:
    return all(
        valid_signature(record, m) is not None for m in (Meaning.PERFORMED, Meaning.VERIFIED)
    )


def latest_decontamination(line_id: str) -> Decontamination | None:
    return Decontamination.objects.filter(line_id=line_id).first()


def check_line_ready(
    line_id: str, vial_format: VialFormat, now: datetime
) -> tuple[Decontamination, FormatPartsSet]:
    """The valid decontamination and format parts set of the line for `vial_format`, or
    `Refused` naming `decontamination` or `format_parts`."""
    decon = latest_decontamination(line_id)
    parts = list(
        FormatPartsSet.objects.filter(line_id=line_id, vial_format=vial_format)
        .select_related("vial_format")
        .order_by("-valid_until", "-id")[:10]
    )
    verified_parts = {p.pk: _verified(p) for p in parts}
    try:
        check_decontamination(
            None
            if decon is None
            else LineStateRecord(str(decon), decon.valid_until, _verified(decon)),
            now,
        )
        check_format_parts(
            [
                LineStateRecord(str(p), p.valid_until, verified_parts[p.pk], p.vial_format.code)
                for p in parts
            ],
            vial_format.code,
            now,
        )
    except DomainError as exc:
        raise Refused(exc.message, field=exc.field) from None
    assert decon is not None
    usable = next(p for p in parts if verified_parts[p.pk] and p.valid_until > now)
    return decon, usable


def line_state(line_id: str = "LINE-1") -> dict[str, object]:
    """What the line-state page and API show: recent records with their signatures."""
    decons = list(Decontamination.objects.filter(line_id=line_id)[:20])
    parts = list(FormatPartsSet.objects.filter(line_id=line_id).select_related("vial_format")[:20])
    return {
        "decontaminations": [(d, _verified(d)) for d in decons],
        "format_parts": [(p, _verified(p)) for p in parts],
    }
