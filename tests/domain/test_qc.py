"""QC domain rules: the sampling plan, judging a result against its limits, the expected
release date, and the review-by-exception rule of the release checklist."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from rempart.domain.batch import BatchState
from rempart.domain.errors import InvalidValue
from rempart.domain.qc import (
    Limits,
    SampleKind,
    Verdict,
    expected_release_date,
    judge,
    plan_samples,
    units_leaving_lot,
)
from rempart.domain.release import Blocker, ReleaseFacts, release_blockers


def plan(**changes: int) -> list[object]:
    args = {
        "batch_vials": 1000,
        "endotoxin_units": 3,
        "visual_inspection_units": 20,
        "assay_units": 2,
        "retention_units": 10,
        "sterility_incubation_days": 14,
        **changes,
    }
    return plan_samples("B-1", **args)  # type: ignore[arg-type,return-value]


def test_the_plan_labels_each_sample_and_sizes_sterility_by_the_batch() -> None:
    samples = plan_samples(
        "B-1",
        batch_vials=1000,
        endotoxin_units=3,
        visual_inspection_units=20,
        assay_units=2,
        retention_units=10,
        sterility_incubation_days=14,
    )
    assert [(s.kind, s.sample_id, s.units, s.incubation_days) for s in samples] == [
        (SampleKind.STERILITY, "B-1-STE", 20, 14),
        (SampleKind.ENDOTOXINS, "B-1-END", 3, 0),
        (SampleKind.VISUAL_INSPECTION, "B-1-VIS", 20, 0),
        (SampleKind.ASSAY, "B-1-ASY", 2, 0),
        (SampleKind.RETENTION, "B-1-RET", 10, 0),
    ]
    assert units_leaving_lot(samples) == 20 + 3 + 2 + 10
    assert [s.kind for s in plan(assay_units=0)] == [  # type: ignore[attr-defined]
        SampleKind.STERILITY,
        SampleKind.ENDOTOXINS,
        SampleKind.VISUAL_INSPECTION,
        SampleKind.RETENTION,
    ]
    with pytest.raises(InvalidValue):
        plan(sterility_incubation_days=0)
    with pytest.raises(InvalidValue):
        plan(retention_units=-1)


@pytest.mark.parametrize(
    ("limits", "raw", "verdict"),
    [
        (Limits(Decimal(95), Decimal(105)), "95", Verdict.PASSED),
        (Limits(Decimal(95), Decimal(105)), "105,0", Verdict.PASSED),
        (Limits(Decimal(95), Decimal(105)), "94.99", Verdict.FAILED),
        (Limits(None, Decimal("0.5")), "0.51", Verdict.FAILED),
        (Limits(Decimal(1), None), "0.9", Verdict.FAILED),
        (Limits(expected="no growth"), "  No   Growth ", Verdict.PASSED),
        (Limits(expected="no growth"), "growth", Verdict.FAILED),
    ],
)
def test_judge(limits: Limits, raw: str, verdict: Verdict) -> None:
    assert judge(limits, raw)[0] is verdict


@pytest.mark.parametrize("raw", ["", "abc", "nan", "inf"])
def test_a_numeric_result_must_be_a_number(raw: str) -> None:
    with pytest.raises(InvalidValue) as bad:
        judge(Limits(None, Decimal(1)), raw)
    assert bad.value.field == "value"


def test_limits_are_consistent_and_shown_plainly() -> None:
    assert Limits(Decimal("95.0000"), Decimal("105.0000")).text("%") == "95–105 %"
    assert Limits(None, Decimal("0.5000")).text("EU/mL") == "≤ 0.5 EU/mL"
    assert Limits(Decimal(1), None).text() == "≥ 1"
    for bad in (
        {"lower": Decimal(2), "upper": Decimal(1)},
        {},
        {"upper": Decimal(1), "expected": "no growth"},
    ):
        with pytest.raises(InvalidValue):
            Limits(**bad)  # type: ignore[arg-type]


def test_expected_release_date_is_the_longest_lead_time() -> None:
    assert expected_release_date(date(2026, 1, 5), [15, 14, 3]) == date(2026, 1, 20)
    assert expected_release_date(date(2026, 1, 5), []) == date(2026, 1, 5)


def test_exceptions_are_shown_until_an_independent_review_covers_them() -> None:
    base = {"batch_state": BatchState.UNDER_REVIEW, "exceptions": ("IPC action: 2 vial(s)",)}
    [unreviewed] = [
        r
        for r in release_blockers(ReleaseFacts(**base))  # type: ignore[arg-type]
        if r.code is Blocker.AUDIT_TRAIL_NOT_REVIEWED
    ]
    assert unreviewed.items == ("IPC action: 2 vial(s)",)
    covered = ReleaseFacts(
        **base,  # type: ignore[arg-type]
        audit_trail_reviewer="Qa",
        reviewed_exceptions=("IPC action: 2 vial(s)",),
    )
    codes = {r.code for r in release_blockers(covered)}
    assert Blocker.EXCEPTIONS_NOT_REVIEWED not in codes
    assert Blocker.AUDIT_TRAIL_NOT_REVIEWED not in codes
    later = ReleaseFacts(
        batch_state=BatchState.UNDER_REVIEW,
        exceptions=("IPC action: 2 vial(s)", "audit #9 changed"),
        audit_trail_reviewer="Qa",
        reviewed_exceptions=("IPC action: 2 vial(s)",),
    )
    [stale] = [r for r in release_blockers(later) if r.code is Blocker.EXCEPTIONS_NOT_REVIEWED]
    assert stale.items == ("audit #9 changed",)
