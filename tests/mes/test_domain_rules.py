"""The pure rules added for the MES (rempart.domain.master_record, qualification, signatures)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from rempart.domain import master_record as mr
from rempart.domain.errors import InvalidTransition, InvalidValue
from rempart.domain.qualification import (
    Held,
    QualificationKind,
    Requirement,
    for_aseptic_step,
    missing_qualifications,
)
from rempart.domain.signatures import Meaning, check_signer, displayed_time, parse_meaning
from rempart.domain.units import mg_per_ml, ml


def test_compounding_formula_for_a_ready_to_use_product() -> None:
    formula = mr.compounding_formula(
        concentration=mg_per_ml("10"),
        nominal_volume=ml("10"),
        fill_volume=ml("10.5"),
        vials=1000,
        dead_volume=ml("150"),
        line_losses=ml("50"),
        diluent=" WFI ",
    )
    assert formula.overfill_per_vial.amount == Decimal("0.5")
    assert formula.filled_volume.amount == Decimal("10500.0")
    assert formula.bulk_volume.amount == Decimal("10700.0")
    assert formula.api_quantity.amount == Decimal("107000.00")  # 10 mg/mL × 10 700 mL
    assert formula.diluent == "WFI"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"vials": 0}, "batch_size_vials"),
        ({"fill_volume": ml("9")}, "fill_volume_ml"),
        ({"diluent": " "}, "diluent"),
    ],
)
def test_compounding_formula_refusals_name_the_field(
    changes: dict[str, object], field: str
) -> None:
    args: dict[str, object] = {
        "concentration": mg_per_ml("10"),
        "nominal_volume": ml("10"),
        "fill_volume": ml("10.5"),
        "vials": 100,
        "dead_volume": ml("1"),
        "line_losses": ml("1"),
        "diluent": "WFI",
    }
    args.update(changes)
    with pytest.raises(InvalidValue) as error:
        mr.compounding_formula(**args)  # type: ignore[arg-type]
    assert error.value.field == field


def test_fill_weight_limits_put_alert_inside_action() -> None:
    limits = mr.fill_weight_limits(
        fill_volume=ml("10.5"),
        density_g_per_ml=Decimal("1.005"),
        alert_pct=Decimal("2"),
        action_pct=Decimal("4"),
    )
    assert limits.target_g == Decimal("10.553")
    assert (
        limits.action_low_g
        < limits.alert_low_g
        < limits.target_g
        < limits.alert_high_g
        < limits.action_high_g
    )
    with pytest.raises(InvalidValue, match="wider than the alert"):
        mr.fill_weight_limits(
            fill_volume=ml("1"),
            density_g_per_ml=Decimal("1"),
            alert_pct=Decimal("3"),
            action_pct=Decimal("3"),
        )


@pytest.mark.parametrize(
    ("batch", "units"), [(30, 4), (100, 10), (101, 10), (500, 10), (501, 11), (2000, 20)]
)
def test_sterility_sample_counts(batch: int, units: int) -> None:
    assert mr.sterility_sample_count(batch) == units


def test_sampling_cannot_take_the_whole_batch() -> None:
    with pytest.raises(InvalidValue, match="whole batch"):
        mr.sampling_plan(
            batch_size_vials=20, ipc_every_vials=5, endotoxin_units=3, retention_units=20
        )


def test_envelope_check() -> None:
    mr.check_envelope(
        batch_size_vials=5000,
        duration_h=Decimal(8),
        max_batch_size_vials=5000,
        max_duration_h=Decimal(8),
    )
    with pytest.raises(InvalidValue, match="media fill") as error:
        mr.check_envelope(
            batch_size_vials=5001,
            duration_h=Decimal(1),
            max_batch_size_vials=5000,
            max_duration_h=Decimal(8),
        )
    assert error.value.field == "batch_size_vials"
    with pytest.raises(InvalidValue) as error:
        mr.check_envelope(
            batch_size_vials=1,
            duration_h=Decimal(9),
            max_batch_size_vials=5000,
            max_duration_h=Decimal(8),
        )
    assert error.value.field == "batch_duration_h"


def test_workflow_transition_table() -> None:
    mr.transition("draft", "in_review")
    mr.transition("in_review", "approved")
    mr.transition("approved", "superseded")
    with pytest.raises(InvalidTransition, match="allowed from draft: in_review"):
        mr.transition("draft", "approved")
    with pytest.raises(InvalidTransition, match="final state"):
        mr.transition("superseded", "draft")


def test_qualification_problems_say_why() -> None:
    held = [
        Held(QualificationKind.GOWNING, date(2026, 1, 1), date(2026, 6, 30)),
        Held(QualificationKind.ASEPTIC_PROCESS_SIMULATION, date(2026, 1, 1), date(2027, 1, 1)),
    ]
    problems = missing_qualifications(held, for_aseptic_step("ROCU-10-10"), date(2026, 7, 1))
    assert problems == [
        "gowning expired on 2026-06-30",
        "no master_record_training (ROCU-10-10) qualification",
    ]
    future = [Held(QualificationKind.GOWNING, date(2027, 1, 1), date(2028, 1, 1))]
    assert (
        "not valid yet"
        in missing_qualifications(
            future, [Requirement(QualificationKind.GOWNING)], date(2026, 7, 1)
        )[0]
    )


def test_signature_meanings_and_display() -> None:
    assert parse_meaning(" Approved ") is Meaning.APPROVED
    with pytest.raises(InvalidValue, match="choose one of"):
        parse_meaning("ok")
    with pytest.raises(InvalidValue):
        check_signer("technician", Meaning.RELEASED)
    winter = displayed_time(datetime(2026, 1, 15, 9, 30, tzinfo=UTC), "Europe/Paris")
    summer = displayed_time(datetime(2026, 7, 15, 9, 30, tzinfo=UTC), "Europe/Paris")
    assert winter == "2026-01-15 10:30:00 UTC+01:00 (Europe/Paris)"
    assert summer == "2026-07-15 11:30:00 UTC+02:00 (Europe/Paris)"
