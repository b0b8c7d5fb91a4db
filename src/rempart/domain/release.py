"""The release checklist: a pure function that returns every reason a batch cannot be released.

DOMAIN.md §5.3-5.4. The release service, the release cockpit and the batch record all call
`release_blockers`; nothing else decides what blocks release. It returns *every* blocking
reason, not the first, so that a pharmacist sees the whole picture at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from rempart.domain.batch import BatchState


class Blocker(StrEnum):
    WRONG_STATE = "wrong_state"
    OPEN_DEVIATION = "open_deviation"
    EM_ACTION_EXCURSION = "em_action_excursion"
    QC_PENDING = "qc_pending"
    QC_FAILED = "qc_failed"
    RECONCILIATION_MISMATCH = "reconciliation_mismatch"
    LABEL_RECONCILIATION_MISMATCH = "label_reconciliation_mismatch"
    INSPECTION_INCOMPLETE = "inspection_incomplete"
    DATA_GAP = "data_gap"
    OUTSIDE_ENVELOPE = "outside_envelope"
    QUALIFICATION_LAPSED = "qualification_lapsed"
    AUDIT_TRAIL_NOT_REVIEWED = "audit_trail_not_reviewed"
    AUDIT_REVIEWER_NOT_INDEPENDENT = "audit_reviewer_not_independent"
    EXCEPTIONS_NOT_REVIEWED = "exceptions_not_reviewed"
    SIGNATURE_INVALIDATED = "signature_invalidated"
    FILTER_INTEGRITY = "filter_integrity"
    RELEASER_NOT_PHARMACIST = "releaser_not_pharmacist"
    RELEASER_NOT_INDEPENDENT = "releaser_not_independent"


class FilterTestMethod(StrEnum):
    """Post-use integrity tests of a sterilising-grade filter (EU GMP Annex 1 §8.87)."""

    BUBBLE_POINT = "bubble_point"
    DIFFUSION = "diffusion"
    PRESSURE_HOLD = "pressure_hold"


def filter_test_passes(method: FilterTestMethod, value: Decimal, limit: Decimal) -> bool:
    """A bubble point passes at or above its minimum; a diffusion flow or a pressure decay
    passes at or below its maximum (the limits are the filter maker's, per product)."""
    if method is FilterTestMethod.BUBBLE_POINT:
        return value >= limit
    return value <= limit


class QcStatus(StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class QcTest:
    """One specified QC test of the batch and where it stands."""

    name: str
    status: QcStatus
    is_sterility: bool = False


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Vials issued against where they ended, with the master record's tolerance (vials)."""

    issued: int
    accepted: int
    rejected: int
    qc_samples: int
    retention: int
    destroyed: int
    tolerance: int = 0

    @property
    def accounted(self) -> int:
        return self.accepted + self.rejected + self.qc_samples + self.retention + self.destroyed

    @property
    def difference(self) -> int:
        return self.issued - self.accounted


@dataclass(frozen=True, slots=True)
class LabelReconciliation:
    printed: int
    applied: int
    destroyed: int
    returned: int

    @property
    def difference(self) -> int:
        return self.printed - (self.applied + self.destroyed + self.returned)


@dataclass(frozen=True, slots=True)
class Releaser:
    """Who asks to release, and what they did on the batch."""

    user_id: str
    is_pharmacist: bool
    performed_step: bool = False
    reviewed_audit_trail: bool = False


@dataclass(frozen=True, slots=True)
class ReleasePolicy:
    """Configurable rules (DOMAIN.md §5.3, §11): relaxations are explicit and audited."""

    require_independent_releaser: bool = True
    conditional_release: bool = False


@dataclass(frozen=True, slots=True)
class ReleaseFacts:
    """Everything the checklist needs to know about one batch, gathered by the caller."""

    batch_state: BatchState
    open_deviations: Sequence[str] = ()
    open_em_action_excursions: Sequence[str] = ()
    qc_tests: Sequence[QcTest] = ()
    reconciliation: Reconciliation | None = None
    label_reconciliation: LabelReconciliation | None = None
    vials_without_inspection: int = 0
    unresolved_data_gaps: Sequence[str] = ()
    within_envelope: bool = True
    #: What exceeded the media-fill envelope ("duration 9.5 h > 8 h"), shown as items.
    envelope_exceeded: Sequence[str] = ()
    lapsed_qualifications: Sequence[str] = ()
    audit_trail_reviewer: str | None = None
    audit_reviewer_performed_step: bool = False
    invalidated_signatures: Sequence[str] = ()
    filtration_used: bool = False
    filter_integrity_passed: bool | None = None
    #: Review by exception: what the audit-trail reviewer must look at (IPC alert/action
    #: results, particle alert/action readings, audit entries changed after first entry),
    #: each as a stable text; and those the signed review covered.
    exceptions: Sequence[str] = ()
    reviewed_exceptions: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class BlockingReason:
    code: Blocker
    message: str
    items: tuple[str, ...] = field(default=())


def release_blockers(
    facts: ReleaseFacts,
    releaser: Releaser | None = None,
    policy: ReleasePolicy = ReleasePolicy(),
) -> list[BlockingReason]:
    """Every reason this batch cannot be released now; an empty list means all clear.

    With `releaser=None` only the batch is judged (for the cockpit); with a releaser, the
    person's right to release is judged too.
    """
    out: list[BlockingReason] = []

    def block(code: Blocker, message: str, items: Sequence[str] = ()) -> None:
        out.append(BlockingReason(code, message, tuple(items)))

    if facts.batch_state is not BatchState.UNDER_REVIEW:
        block(Blocker.WRONG_STATE, f"the batch is {facts.batch_state}, not under review")
    if facts.open_deviations:
        block(Blocker.OPEN_DEVIATION, "deviations are not closed", facts.open_deviations)
    if facts.open_em_action_excursions:
        block(
            Blocker.EM_ACTION_EXCURSION,
            "environmental action excursions are not investigated and closed",
            facts.open_em_action_excursions,
        )
    if not facts.qc_tests:
        block(Blocker.QC_PENDING, "no QC test is specified or recorded for the batch")
    pending = [
        t.name
        for t in facts.qc_tests
        if t.status is QcStatus.PENDING and not (t.is_sterility and policy.conditional_release)
    ]
    if pending:
        block(Blocker.QC_PENDING, "QC results are missing", pending)
    failed = [t.name for t in facts.qc_tests if t.status is QcStatus.FAILED]
    if failed:
        block(Blocker.QC_FAILED, "QC results are out of specification", failed)
    rec = facts.reconciliation
    if rec is None:
        block(Blocker.RECONCILIATION_MISMATCH, "the vial reconciliation is missing")
    elif abs(rec.difference) > rec.tolerance:
        block(
            Blocker.RECONCILIATION_MISMATCH,
            f"{rec.issued} vials issued, {rec.accounted} accounted for "
            f"(difference {rec.difference}, tolerance {rec.tolerance})",
        )
    labels = facts.label_reconciliation
    if labels is not None and labels.difference != 0:
        block(
            Blocker.LABEL_RECONCILIATION_MISMATCH,
            f"{labels.printed} labels printed, difference {labels.difference}",
        )
    if facts.vials_without_inspection:
        block(
            Blocker.INSPECTION_INCOMPLETE,
            f"{facts.vials_without_inspection} filled vials have no inspection result",
        )
    if facts.unresolved_data_gaps:
        block(
            Blocker.DATA_GAP,
            "machine data gaps are not resolved by QA",
            facts.unresolved_data_gaps,
        )
    if not facts.within_envelope or facts.envelope_exceeded:
        block(
            Blocker.OUTSIDE_ENVELOPE,
            "the batch is outside the validated media-fill envelope",
            facts.envelope_exceeded,
        )
    if facts.lapsed_qualifications:
        block(
            Blocker.QUALIFICATION_LAPSED,
            "work was done under an expired or missing qualification",
            facts.lapsed_qualifications,
        )
    if facts.audit_trail_reviewer is None:
        block(
            Blocker.AUDIT_TRAIL_NOT_REVIEWED,
            "the audit trail has not been reviewed",
            facts.exceptions,
        )
    else:
        if facts.audit_reviewer_performed_step:
            block(
                Blocker.AUDIT_REVIEWER_NOT_INDEPENDENT,
                "the audit trail was reviewed by someone who performed a step of the batch",
            )
        covered = set(facts.reviewed_exceptions)
        unreviewed = [e for e in facts.exceptions if e not in covered]
        if unreviewed:
            block(
                Blocker.EXCEPTIONS_NOT_REVIEWED,
                "exceptions arose after the audit-trail review; review it again",
                unreviewed,
            )
    if facts.invalidated_signatures:
        block(
            Blocker.SIGNATURE_INVALIDATED,
            "signatures were invalidated by later changes and must be given again",
            facts.invalidated_signatures,
        )
    if facts.filtration_used and facts.filter_integrity_passed is not True:
        state = "missing" if facts.filter_integrity_passed is None else "failed"
        block(Blocker.FILTER_INTEGRITY, f"the sterile-filter integrity test is {state}")
    if releaser is not None:
        if not releaser.is_pharmacist:
            block(Blocker.RELEASER_NOT_PHARMACIST, "only a pharmacist may release or reject")
        if policy.require_independent_releaser and (
            releaser.performed_step or releaser.reviewed_audit_trail
        ):
            block(
                Blocker.RELEASER_NOT_INDEPENDENT,
                "the releaser performed a step or the audit-trail review of this batch",
            )
    return out
