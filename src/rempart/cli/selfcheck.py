"""A domain self-check: build the demo catalogue and run every rule once, printing the result."""

from __future__ import annotations

from collections.abc import Callable

from rempart.domain.batch import TRANSITIONS, BatchState, transition
from rempart.domain.catalog import demo_products
from rempart.domain.environment import annex1_grade_a_limits
from rempart.domain.errors import DomainError
from rempart.domain.release import (
    QcStatus,
    QcTest,
    Reconciliation,
    ReleaseFacts,
    Releaser,
    release_blockers,
)


def run_selfcheck(echo: Callable[[str], None]) -> int:
    """Return 0 when every rule behaves as specified, 1 otherwise."""
    failures = 0
    echo("Demo catalogue:")
    for product in demo_products():
        echo(
            f"  {product.code:<22} {product.name:<42} {product.dose_per_vial} per vial, "
            f"{product.storage}, shelf life {product.shelf_life_days} d"
        )
    echo(f"Batch lifecycle: {len(TRANSITIONS)} states")
    path = [
        BatchState.SCHEDULED,
        BatchState.LINE_CLEARANCE,
        BatchState.FILLING,
        BatchState.FILLED,
        BatchState.QUARANTINE,
        BatchState.UNDER_REVIEW,
        BatchState.RELEASED,
    ]
    state = BatchState.PLANNED
    for target in path:
        state = transition(state, target).target
    echo(f"  happy path reaches {state}")
    try:
        transition(BatchState.PLANNED, BatchState.RELEASED)
        echo("  FAIL: PLANNED -> RELEASED was accepted")
        failures += 1
    except DomainError as exc:
        echo(f"  refused as expected: {exc}")

    facts = ReleaseFacts(
        batch_state=BatchState.UNDER_REVIEW,
        qc_tests=[QcTest("sterility", QcStatus.PENDING, is_sterility=True)],
        reconciliation=Reconciliation(8000, 7950, 30, 20, 0, 0),
        audit_trail_reviewer="qa.reviewer",
    )
    blockers = release_blockers(facts, Releaser("pharmacist", is_pharmacist=True))
    echo("Release checklist on a batch whose sterility test is pending:")
    for reason in blockers:
        echo(f"  blocked: {reason.code}: {reason.message} {', '.join(reason.items)}")
    if [b.code for b in blockers] != ["qc_pending"]:
        failures += 1
        echo("  FAIL: expected exactly one blocker (qc_pending)")
    limits = annex1_grade_a_limits()
    echo(
        f"Grade A limits ({limits.version}): 3,600/m³ ≥0.5 µm → "
        f"{limits.classify(3_600, 0)}; 12/m³ ≥5 µm → {limits.classify(100, 12)}"
    )
    echo("Self-check " + ("passed." if failures == 0 else f"FAILED ({failures})."))
    return 0 if failures == 0 else 1
