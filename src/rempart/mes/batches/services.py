"""Batch order services: order, schedule, line clearance (signed), sending to the line.

Every write is one function here, inside `audited_write()`; lifecycle moves go through
`move()`, which checks `rempart.domain.batch.transition` and appends a `BatchEvent`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal

from rempart.domain.batch import BatchState, transition
from rempart.domain.errors import DomainError
from rempart.domain.gs1 import check_lot
from rempart.domain.master_record import MasterRecordState, check_envelope
from rempart.domain.qualification import for_aseptic_step
from rempart.domain.roles import Action, Role
from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.line_state import check_line_ready
from rempart.mes.batches.models import Batch, BatchEvent, LineClearance
from rempart.mes.batches.preparation import preparation_complete
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.signatures.services import (
    check_signer_may_sign,
    valid_signature,
    write_signature,
)
from rempart.opcua.client import CONNECTION_ERRORS, CommandRefused, LineClient

#: The line's nominal rate (DOMAIN.md §2): the expected duration of an order follows from it.
LINE_RATE_VIALS_PER_H = 600


#: Sanity limits on an order, before the validated envelope is even looked at: a million vials
#: is over two months of 24/7 filling, and planned starts outside 2000-2999 are typing errors
#: (9999-12-31 overflowed the calendar on the batch list).
MAX_BATCH_VIALS = 1_000_000
EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_START = datetime(2999, 12, 31, tzinfo=UTC)


def expected_duration_h(quantity_vials: int) -> Decimal:
    return (Decimal(quantity_vials) / LINE_RATE_VIALS_PER_H).quantize(
        Decimal("0.01"), ROUND_CEILING
    )


def move(actor: Actor, batch: Batch, target: BatchState, reason: str = "") -> Batch:
    """One lifecycle transition, checked by the domain table and recorded as an event.
    Runs inside the caller's audited transaction (or opens one)."""
    held_from = BatchState(batch.held_from) if batch.held_from else None
    try:
        step = transition(BatchState(batch.state), target, reason=reason, held_from=held_from)
    except DomainError as exc:
        raise Conflict(exc.message, field="state") from None
    with audited_write(actor, reason=step.reason or f"batch {step.source} → {step.target}"):
        updated = Batch.objects.filter(pk=batch.pk, state=step.source.value).update(
            state=step.target.value,
            held_from=step.source.value if step.target is BatchState.ON_HOLD else "",
        )
        if updated != 1:
            raise Conflict(f"{batch.batch_number} changed meanwhile; reload it", field="state")
        BatchEvent.objects.create(
            batch=batch,
            source=step.source.value,
            target=step.target.value,
            reason=step.reason,
            actor=actor.printed_name,
        )
    batch.refresh_from_db()
    return batch


def create_batch_order(
    user: User,
    *,
    batch_number: str,
    master_record: MasterRecord,
    quantity_vials: int,
    planned_start: datetime,
    line_id: str = "LINE-1",
    now: datetime | None = None,
    request_id: str = "",
) -> Batch:
    """Order a batch of an approved master-record version (kept exactly).

    Refused, changing nothing, when the quantity or the expected duration (quantity ÷ 600
    vials/h) falls outside the envelope validated by the last media fill, or when the line
    has no valid decontamination (`decontamination`) or no valid format parts set for the
    product's vial format (`format_parts`).
    """
    require(user, Action.RUN_BATCH)
    number = batch_number.strip()
    try:
        # The batch's number becomes its lot's number, printed in the vials' DataMatrix.
        check_lot(number, "batch_number")
    except DomainError as exc:
        raise Refused(
            f"a batch number is its lot's GS1 number (AI 10): {exc.message}", field="batch_number"
        ) from None
    if quantity_vials <= 0:
        raise Refused("the quantity must be a positive number of vials", field="quantity_vials")
    if quantity_vials > MAX_BATCH_VIALS:
        raise Refused(f"at most {MAX_BATCH_VIALS:,} vials in a batch", field="quantity_vials")
    if planned_start.tzinfo is None:
        raise Refused("the planned start needs a time zone", field="planned_start")
    if not EARLIEST_START <= planned_start <= LATEST_START:
        raise Refused(
            f"a planned start from {EARLIEST_START:%Y-%m-%d} to {LATEST_START:%Y-%m-%d}",
            field="planned_start",
        )
    if master_record.state != MasterRecordState.APPROVED.value:
        raise Refused(
            f"{master_record} is {master_record.state}, not approved", field="master_record"
        )
    duration_h = expected_duration_h(quantity_vials)
    try:
        check_envelope(
            batch_size_vials=quantity_vials,
            duration_h=duration_h,
            max_batch_size_vials=master_record.envelope_max_batch_vials,
            max_duration_h=master_record.envelope_max_duration_h,
        )
    except DomainError as exc:
        field = "quantity_vials" if exc.field == "batch_size_vials" else "expected_duration_h"
        raise Refused(f"outside the validated envelope: {exc.message}", field=field) from None
    check_line_ready(line_id, master_record.product.vial_format, now or datetime.now(UTC))
    if Batch.objects.filter(batch_number=number).exists():
        raise Conflict(f"batch {number} already exists", field="batch_number")
    actor = actor_for(user, request_id)
    with audited_write(actor, reason="batch order"):
        batch = Batch.objects.create(
            batch_number=number,
            master_record=master_record,
            product=master_record.product,
            quantity_vials=quantity_vials,
            planned_start=planned_start,
            line_id=line_id,
            ordered_by=user,
        )
        BatchEvent.objects.create(batch=batch, target=BatchState.PLANNED, actor=actor.printed_name)
    return batch


def schedule_batch(user: User, batch: Batch, request_id: str = "") -> Batch:
    """PLANNED → SCHEDULED: the batch is on the line's schedule."""
    require(user, Action.RUN_BATCH)
    return move(actor_for(user, request_id), batch, BatchState.SCHEDULED)


def sign_line_clearance(
    user: User,
    batch: Batch,
    *,
    meaning: str,
    password: str,
    totp_code: str,
    checks: str = "",
    request_id: str = "",
) -> LineClearance:
    """Line clearance: "performed" (on a SCHEDULED batch whose preparation is complete, with
    the checks done; moves it to LINE_CLEARANCE), then "verified" by a second qualified
    person."""
    require(user, Action.RUN_BATCH)
    chosen = check_signer_may_sign(
        user,
        meaning=meaning,
        password=password,
        totp_code=totp_code,
        requirements=for_aseptic_step(batch.product.code),
    )
    actor = actor_for(user, request_id)
    if chosen is Meaning.PERFORMED:
        if not checks.strip():
            raise Refused("list the clearance checks done", field="checks")
        if batch.state != BatchState.SCHEDULED.value:
            raise Conflict(f"{batch} is {batch.state}, not scheduled", field="state")
        if not preparation_complete(batch):
            raise Conflict(
                "the preparation is not complete (every step performed and verified)",
                field="preparation",
            )
        with audited_write(actor, reason="line clearance performed"):
            clearance = LineClearance.objects.create(batch=batch, checks=checks.strip())
            write_signature(user, clearance, Meaning.PERFORMED, comment="line clearance")
            move(actor, batch, BatchState.LINE_CLEARANCE)
        return clearance
    if chosen is not Meaning.VERIFIED:
        raise Refused("a line clearance is performed or verified", field="meaning")
    existing = LineClearance.objects.filter(batch=batch).first()
    performed = valid_signature(existing, Meaning.PERFORMED) if existing else None
    if existing is None or performed is None:
        raise Conflict("the line clearance has not been performed", field="meaning")
    if performed.signature.signer_id == user.pk:
        raise NotPermitted("the verifier must not be who performed the clearance", field="user")
    if valid_signature(existing, Meaning.VERIFIED) is not None:
        raise Conflict("the line clearance is already verified", field="meaning")
    write_signature(
        user, existing, Meaning.VERIFIED, comment="line clearance", request_id=request_id
    )
    return existing


def clearance_verified(batch: Batch) -> bool:
    clearance = LineClearance.objects.filter(batch=batch).first()
    return clearance is not None and all(
        valid_signature(clearance, m) is not None for m in (Meaning.PERFORMED, Meaning.VERIFIED)
    )


LineFactory = Callable[[str], LineClient]


async def _load_and_start(line: LineClient, batch: Batch, product_code: str, fmt: str) -> None:
    async with line:
        status = await line.status()
        if status.batch_id != batch.batch_number:
            await line.load_batch(batch.batch_number, product_code, fmt, batch.quantity_vials)
        await line.command("Start")


def send_to_line(
    user: User,
    batch: Batch,
    endpoint: str,
    *,
    line_factory: LineFactory | None = None,
    request_id: str = "",
) -> Batch:
    """`LoadBatch` then `Start` on the line over OPC UA, then LINE_CLEARANCE → FILLING.

    Preconditions: the batch is in LINE_CLEARANCE with its clearance performed and verified,
    and the line holds a valid decontamination and format parts set for the product's vial
    format (recorded on the batch). A refusal or an unreachable line raises `Refused` with
    the line's message, and the batch stays in LINE_CLEARANCE.
    """
    require(user, Action.RUN_BATCH)
    if batch.state != BatchState.LINE_CLEARANCE.value:
        raise Conflict(f"{batch} is {batch.state}, not in line clearance", field="state")
    if not clearance_verified(batch):
        raise Conflict("the line clearance is not signed and verified", field="clearance")
    product = batch.product
    decon, parts = check_line_ready(batch.line_id, product.vial_format, datetime.now(UTC))
    line = (line_factory or LineClient)(endpoint)
    try:
        asyncio.run(_load_and_start(line, batch, product.code, product.vial_format.code))
    except CommandRefused as exc:
        raise Refused(f"the line refused {exc.command}: {exc.message}", field="line") from None
    except CONNECTION_ERRORS as exc:
        raise Refused(f"the line at {endpoint} is unreachable ({exc})", field="line") from None
    actor = actor_for(user, request_id)
    with audited_write(actor, reason="sent to the line"):
        Batch.objects.filter(pk=batch.pk).update(decontamination=decon, format_parts=parts)
        return move(actor, batch, BatchState.FILLING, reason="sent to the line")


#: Who may put a batch on hold (production, QA) and who may lift a hold (pharmacist, QA).
HOLDERS = frozenset({Role.TECHNICIAN, Role.PHARMACIST, Role.QA_REVIEWER})
HOLD_LIFTERS = frozenset({Role.PHARMACIST, Role.QA_REVIEWER})


def hold_batch(user: User, batch: Batch, reason: str, request_id: str = "") -> Batch:
    """Any live state → ON_HOLD, with a reason (the state held from is kept)."""
    require(user, Action.VIEW_MASTER_RECORDS)
    if user.role not in HOLDERS:
        raise NotPermitted(f"a {user.role} may not put a batch on hold", field="user")
    if not reason.strip():
        raise Refused("say why the batch is put on hold", field="reason")
    return move(actor_for(user, request_id), batch, BatchState.ON_HOLD, reason=reason)


def release_hold(user: User, batch: Batch, reason: str, request_id: str = "") -> Batch:
    """ON_HOLD → the state it was held from, with a reason; a pharmacist or QA decides."""
    require(user, Action.VIEW_MASTER_RECORDS)
    if user.role not in HOLD_LIFTERS:
        raise NotPermitted(f"a {user.role} may not lift a hold", field="user")
    if batch.state != BatchState.ON_HOLD.value or not batch.held_from:
        raise Conflict(f"{batch} is {batch.state}, not on hold", field="state")
    if not reason.strip():
        raise Refused("say why the hold is lifted", field="reason")
    return move(actor_for(user, request_id), batch, BatchState(batch.held_from), reason=reason)
