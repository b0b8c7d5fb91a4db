"""The release checklist: each blocking reason alone, and all clear."""

from dataclasses import replace
from decimal import Decimal

import pytest

from rempart.domain.batch import BatchState
from rempart.domain.release import (
    Blocker,
    FilterTestMethod,
    LabelReconciliation,
    QcStatus,
    QcTest,
    Reconciliation,
    ReleaseFacts,
    ReleasePolicy,
    Releaser,
    filter_test_passes,
    release_blockers,
)

CLEAR = ReleaseFacts(
    batch_state=BatchState.UNDER_REVIEW,
    qc_tests=(
        QcTest("sterility", QcStatus.PASSED, is_sterility=True),
        QcTest("endotoxins", QcStatus.PASSED),
    ),
    reconciliation=Reconciliation(
        issued=1000, accepted=960, rejected=10, qc_samples=20, retention=10, destroyed=0
    ),
    label_reconciliation=LabelReconciliation(printed=980, applied=970, destroyed=10, returned=0),
    audit_trail_reviewer="qa.reviewer",
)
PHARMACIST = Releaser("pharmacist.a", is_pharmacist=True)


def codes(
    facts: ReleaseFacts, releaser: Releaser | None = PHARMACIST, **policy: bool
) -> list[Blocker]:
    return [b.code for b in release_blockers(facts, releaser, ReleasePolicy(**policy))]


def test_all_clear() -> None:
    assert codes(CLEAR) == []
    assert codes(CLEAR, releaser=None) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"batch_state": BatchState.QUARANTINE}, Blocker.WRONG_STATE),
        ({"open_deviations": ["DEV-7"]}, Blocker.OPEN_DEVIATION),
        ({"open_em_action_excursions": ["EM-3"]}, Blocker.EM_ACTION_EXCURSION),
        ({"qc_tests": ()}, Blocker.QC_PENDING),
        ({"qc_tests": (QcTest("sterility", QcStatus.PENDING, True),)}, Blocker.QC_PENDING),
        ({"qc_tests": (QcTest("endotoxins", QcStatus.FAILED),)}, Blocker.QC_FAILED),
        ({"reconciliation": None}, Blocker.RECONCILIATION_MISMATCH),
        (
            {"reconciliation": Reconciliation(1000, 959, 10, 20, 10, 0)},
            Blocker.RECONCILIATION_MISMATCH,
        ),
        (
            {"label_reconciliation": LabelReconciliation(980, 960, 10, 0)},
            Blocker.LABEL_RECONCILIATION_MISMATCH,
        ),
        ({"vials_without_inspection": 3}, Blocker.INSPECTION_INCOMPLETE),
        ({"unresolved_data_gaps": ["line-1 seq 120-180"]}, Blocker.DATA_GAP),
        ({"within_envelope": False}, Blocker.OUTSIDE_ENVELOPE),
        ({"lapsed_qualifications": ["tech.b: media fill"]}, Blocker.QUALIFICATION_LAPSED),
        ({"audit_trail_reviewer": None}, Blocker.AUDIT_TRAIL_NOT_REVIEWED),
        ({"audit_reviewer_performed_step": True}, Blocker.AUDIT_REVIEWER_NOT_INDEPENDENT),
        ({"invalidated_signatures": ["clearance signed by tech.a"]}, Blocker.SIGNATURE_INVALIDATED),
        ({"filtration_used": True}, Blocker.FILTER_INTEGRITY),
        ({"filtration_used": True, "filter_integrity_passed": False}, Blocker.FILTER_INTEGRITY),
    ],
)
def test_each_blocker_alone(changes: dict[str, object], expected: Blocker) -> None:
    blockers = release_blockers(replace(CLEAR, **changes), PHARMACIST)  # type: ignore[arg-type]
    assert [b.code for b in blockers] == [expected]
    assert blockers[0].message


def test_reconciliation_within_tolerance_is_clear() -> None:
    rec = Reconciliation(1000, 958, 10, 20, 10, 0, tolerance=2)
    assert codes(replace(CLEAR, reconciliation=rec)) == []


def test_releaser_not_pharmacist() -> None:
    assert codes(CLEAR, Releaser("tech.a", is_pharmacist=False)) == [
        Blocker.RELEASER_NOT_PHARMACIST
    ]


@pytest.mark.parametrize("what", ["performed_step", "reviewed_audit_trail"])
def test_releaser_not_independent(what: str) -> None:
    releaser = replace(PHARMACIST, **{what: True})
    assert codes(CLEAR, releaser) == [Blocker.RELEASER_NOT_INDEPENDENT]
    assert codes(CLEAR, releaser, require_independent_releaser=False) == []


def test_conditional_release_waives_only_sterility() -> None:
    facts = replace(
        CLEAR,
        qc_tests=(
            QcTest("sterility", QcStatus.PENDING, is_sterility=True),
            QcTest("endotoxins", QcStatus.PENDING),
        ),
    )
    blockers = release_blockers(facts, PHARMACIST, ReleasePolicy(conditional_release=True))
    assert [(b.code, b.items) for b in blockers] == [(Blocker.QC_PENDING, ("endotoxins",))]


def test_every_reason_is_listed_at_once() -> None:
    worst = ReleaseFacts(
        batch_state=BatchState.FILLED, open_deviations=["D1"], within_envelope=False
    )
    found = set(codes(worst, Releaser("tech", is_pharmacist=False, performed_step=True)))
    assert {
        Blocker.WRONG_STATE,
        Blocker.OPEN_DEVIATION,
        Blocker.QC_PENDING,
        Blocker.RECONCILIATION_MISMATCH,
        Blocker.OUTSIDE_ENVELOPE,
        Blocker.AUDIT_TRAIL_NOT_REVIEWED,
        Blocker.RELEASER_NOT_PHARMACIST,
        Blocker.RELEASER_NOT_INDEPENDENT,
    } <= found


def test_what_exceeded_the_envelope_is_listed() -> None:
    facts = replace(CLEAR, envelope_exceeded=("duration on the line 9.50 h > 8 h",))
    [reason] = release_blockers(facts, PHARMACIST)
    assert (reason.code, reason.items) == (
        Blocker.OUTSIDE_ENVELOPE,
        ("duration on the line 9.50 h > 8 h",),
    )


@pytest.mark.parametrize(
    ("method", "value", "passes"),
    [
        (FilterTestMethod.BUBBLE_POINT, "3.2", True),
        (FilterTestMethod.BUBBLE_POINT, "3.19", False),
        (FilterTestMethod.DIFFUSION, "3.2", True),
        (FilterTestMethod.DIFFUSION, "3.21", False),
        (FilterTestMethod.PRESSURE_HOLD, "3.3", False),
    ],
)
def test_filter_test_verdict_by_method(method: FilterTestMethod, value: str, passes: bool) -> None:
    assert filter_test_passes(method, Decimal(value), Decimal("3.2")) is passes


@pytest.mark.parametrize(("passed", "state"), [(None, "missing"), (False, "failed")])
def test_filter_integrity_blocks_only_when_filtration_is_used(
    passed: bool | None, state: str
) -> None:
    used = replace(CLEAR, filtration_used=True, filter_integrity_passed=passed)
    [reason] = release_blockers(used, PHARMACIST)
    assert reason.message == f"the sterile-filter integrity test is {state}"
    unused = replace(CLEAR, filtration_used=False, filter_integrity_passed=passed)
    assert release_blockers(unused, PHARMACIST) == []
