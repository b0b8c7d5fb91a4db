"""Domain rules are cheap enough to run on every screen: checklist and transitions per second."""

from __future__ import annotations

import argparse
import time
from typing import Any

from rempart.domain.batch import BatchState, transition
from rempart.domain.release import (
    QcStatus,
    QcTest,
    Reconciliation,
    ReleaseFacts,
    Releaser,
    release_blockers,
)


def _rate(fn: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def run(args: argparse.Namespace) -> dict[str, Any]:
    n = 20_000 if args.quick else 200_000
    facts = ReleaseFacts(
        batch_state=BatchState.UNDER_REVIEW,
        open_deviations=["D-1"],
        qc_tests=[
            QcTest("sterility", QcStatus.PENDING, True),
            QcTest("endotoxins", QcStatus.PASSED),
        ],
        reconciliation=Reconciliation(8000, 7900, 50, 40, 10, 0),
        audit_trail_reviewer="qa",
    )
    releaser = Releaser("ph", is_pharmacist=True)
    checklist = _rate(lambda: release_blockers(facts, releaser), n)
    moves = _rate(lambda: transition(BatchState.FILLED, BatchState.QUARANTINE), n)
    print(f"   release checklist: {checklist:,.0f}/s; transitions: {moves:,.0f}/s")
    return {
        "iterations": n,
        "release_checklist_per_second": round(checklist),
        "transitions_per_second": round(moves),
    }
