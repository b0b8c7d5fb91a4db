"""Release services: the independent audit-trail review, and the pharmacist's release or
rejection, each signed. The checklist is `rempart.mes.qc.facts.release_checklist` (the
domain's `release_blockers` on the batch's facts): nothing here re-states a release rule.

Release and rejection lock the batch row (`SELECT ... FOR UPDATE`), and a batch has at most
one `ReleaseDecision` (unique): two pharmacists deciding at once give one decision, the
other is refused with `Conflict`. The batch and its lot move in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError

from rempart.domain.batch import BatchState
from rempart.domain.lot import LotStatus, expiry_date
from rempart.domain.release import Blocker, BlockingReason
from rempart.domain.roles import Action
from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.batches.services import move
from rempart.mes.core.columns import fitting
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.qc.facts import exceptions_of, performers, release_checklist
from rempart.mes.release.models import AuditTrailReview, ReleaseDecision
from rempart.mes.signatures.services import check_signer_may_sign, write_signature
from rempart.mes.stock.lots import move_lot
from rempart.mes.stock.models import Lot

#: Batches the cockpit shows: waiting for their results or for the decision.
AWAITING = (BatchState.QUARANTINE.value, BatchState.UNDER_REVIEW.value)
RELEASER_CODES = frozenset({Blocker.RELEASER_NOT_PHARMACIST, Blocker.RELEASER_NOT_INDEPENDENT})


class ReleaseRefused(Refused):
    """The checklist is not clear: `reasons` holds every blocking reason."""

    status = 409

    def __init__(self, reasons: list[BlockingReason]) -> None:
        self.reasons = reasons
        super().__init__(
            "release refused: " + "; ".join(describe(r) for r in reasons), field="checklist"
        )


def describe(reason: BlockingReason) -> str:
    items = f" ({', '.join(reason.items)})" if reason.items else ""
    return f"{reason.message}{items}"


@dataclass(frozen=True, slots=True)
class CockpitRow:
    batch: Batch
    exceptions: list[BlockingReason]
    expected_release: str


def cockpit() -> list[CockpitRow]:
    """Each batch awaiting decision with only its exceptions (releaser not judged)."""
    rows = []
    for batch in (
        Batch.objects.filter(state__in=AWAITING)
        .select_related("product", "master_record")
        .order_by("planned_start", "id")
    ):
        lot = Lot.objects.filter(batch=batch).first()
        expected = lot.expected_release_date if lot and lot.expected_release_date else None
        rows.append(
            CockpitRow(batch, release_checklist(batch), expected.isoformat() if expected else "")
        )
    return rows


def review_audit_trail(
    user: User,
    batch: Batch,
    *,
    password: str,
    totp_code: str,
    comment: str = "",
    request_id: str = "",
) -> AuditTrailReview:
    """A person who performed no step of the batch reviews its audit trail and exceptions,
    signing "reviewed"; the review keeps the exceptions it covered."""
    require(user, Action.REVIEW_BATCH_AUDIT_TRAIL)
    if user.pk in performers(batch):
        raise NotPermitted(
            "you performed a step of this batch (or ordered it): another person reviews it",
            field="user",
        )
    check_signer_may_sign(user, meaning=Meaning.REVIEWED, password=password, totp_code=totp_code)
    with audited_write(actor_for(user, request_id), reason="batch audit trail reviewed"):
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.state not in AWAITING:
            raise Conflict(f"{locked.batch_number} is {locked.state}", field="state")
        review = AuditTrailReview.objects.create(
            batch=locked,
            reviewer=user,
            reviewer_name=user.printed_name,
            exceptions="\n".join(exceptions_of(locked)),
            comment=fitting(AuditTrailReview, "comment", comment.strip(), field="comment"),
        )
        write_signature(user, review, Meaning.REVIEWED, comment="audit trail review")
    return review


def _locked_lot(batch: Batch) -> Lot:
    lot = Lot.objects.select_for_update().filter(batch=batch).first()
    if lot is None:
        raise Refused(f"{batch.batch_number} has no lot in stock", field="lot")
    return lot


def release_batch(
    user: User,
    batch: Batch,
    *,
    password: str,
    totp_code: str,
    comment: str = "",
    request_id: str = "",
) -> ReleaseDecision:
    """The pharmacist releases: every blocking reason refuses it (all listed); the batch
    and its lot move to RELEASED, the lot gets its expiry (fill date + shelf life), and the
    decision is signed "released" — all in one transaction."""
    require(user, Action.RELEASE_BATCH)
    check_signer_may_sign(user, meaning=Meaning.RELEASED, password=password, totp_code=totp_code)
    actor = actor_for(user, request_id)
    try:
        with audited_write(actor, reason="batch released by the pharmacist"):
            locked = Batch.objects.select_for_update().select_related("product").get(pk=batch.pk)
            if ReleaseDecision.objects.filter(batch=locked).exists():
                raise Conflict(f"{locked.batch_number} is already decided", field="batch")
            reasons = release_checklist(locked, user)
            if reasons:
                raise ReleaseRefused(reasons)
            lot = _locked_lot(locked)
            expiry = expiry_date(lot.fill_date, locked.product.shelf_life_days)
            decision = ReleaseDecision.objects.create(
                batch=locked,
                decision="released",
                pharmacist=user,
                pharmacist_name=user.printed_name,
                comment=fitting(ReleaseDecision, "comment", comment.strip(), field="comment"),
                expiry_date=expiry,
            )
            move(actor, locked, BatchState.RELEASED, reason="released by the pharmacist")
            move_lot(actor, lot, LotStatus.RELEASED, expiry_date=expiry)
            write_signature(user, decision, Meaning.RELEASED, comment=comment)
    except IntegrityError:
        raise Conflict(f"{batch.batch_number} is already decided", field="batch") from None
    return decision


def reject_batch(
    user: User,
    batch: Batch,
    *,
    password: str,
    totp_code: str,
    reason: str,
    request_id: str = "",
) -> ReleaseDecision:
    """The pharmacist rejects (from quarantine or review, whatever the checklist says): the
    batch and its lot move to REJECTED, signed "rejected". The releaser rules apply."""
    require(user, Action.RELEASE_BATCH)
    if not reason.strip():
        raise Refused("say why the batch is rejected", field="reason")
    check_signer_may_sign(user, meaning=Meaning.REJECTED, password=password, totp_code=totp_code)
    actor = actor_for(user, request_id)
    try:
        with audited_write(actor, reason=reason.strip()):
            locked = Batch.objects.select_for_update().get(pk=batch.pk)
            if ReleaseDecision.objects.filter(batch=locked).exists():
                raise Conflict(f"{locked.batch_number} is already decided", field="batch")
            if locked.state not in AWAITING:
                raise Conflict(f"{locked.batch_number} is {locked.state}", field="state")
            reasons = [r for r in release_checklist(locked, user) if r.code in RELEASER_CODES]
            if reasons:
                raise ReleaseRefused(reasons)
            lot = _locked_lot(locked)
            decision = ReleaseDecision.objects.create(
                batch=locked,
                decision="rejected",
                pharmacist=user,
                pharmacist_name=user.printed_name,
                comment=fitting(ReleaseDecision, "comment", reason.strip(), field="reason"),
            )
            move(actor, locked, BatchState.REJECTED, reason=reason.strip())
            move_lot(actor, lot, LotStatus.REJECTED, reason=reason.strip())
            write_signature(user, decision, Meaning.REJECTED, comment=reason)
    except IntegrityError:
        raise Conflict(f"{batch.batch_number} is already decided", field="batch") from None
    return decision
