"""Preparation and line-state rules: item codes, component checks, compounding tolerance,
the enforced order of performed/verified acts, decontamination and format parts validity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from rempart.domain.errors import InvalidValue
from rempart.domain.preparation import (
    STEP_NAMES,
    LineStateRecord,
    Progress,
    check_act,
    check_component,
    check_compounding,
    check_decontamination,
    check_format_parts,
    complete,
    expected_item_codes,
    next_step,
)

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_expected_item_codes_follow_from_the_product() -> None:
    assert expected_item_codes(
        atc="M03AC11", diluent="eau pour préparations injectables", vial_format="V10"
    ) == {
        "api": "API-M03AC11",
        "diluent": "DIL-EAU-POUR-PREPARATIONS-INJECTABLES",
        "vials": "VIAL-V10",
        "caps": "CAP-V10",
    }


def test_a_component_scanned_in_lower_case_with_blanks_is_accepted() -> None:
    check_component(
        "api",
        expected="API-M03AC11",
        scanned=" api-m03ac11 ",
        lot_number="L1",
        expiry=TODAY,
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("scanned", "lot", "expiry", "field", "text"),
    [
        ("", "L1", TODAY, "item_code", "scan"),
        ("API-M03AC09", "L1", TODAY, "item_code", "expects API-M03AC11"),
        ("API-M03AC11", " ", TODAY, "lot_number", "lot number"),
        ("API-M03AC11", "L1", None, "expiry", "expiry"),
        ("API-M03AC11", "L1", TODAY - timedelta(days=1), "expiry", "expired on 2026-11-24"),
    ],
)
def test_a_wrong_or_expired_component_is_refused_naming_the_field(
    scanned: str, lot: str, expiry: date | None, field: str, text: str
) -> None:
    with pytest.raises(InvalidValue, match=text) as caught:
        check_component(
            "api",
            expected="API-M03AC11",
            scanned=scanned,
            lot_number=lot,
            expiry=expiry,
            today=TODAY,
        )
    assert caught.value.field == field


def test_compounding_within_one_percent_of_the_sheet() -> None:
    check_compounding(
        api_mg=Decimal("20150"),
        expected_api_mg=Decimal("20000"),
        volume_ml=Decimal("9950"),
        expected_volume_ml=Decimal("10000"),
    )
    with pytest.raises(InvalidValue) as caught:
        check_compounding(
            api_mg=Decimal("20300"),
            expected_api_mg=Decimal("20000"),
            volume_ml=Decimal("10000"),
            expected_volume_ml=Decimal("10000"),
        )
    assert caught.value.field == "api_mg"
    with pytest.raises(InvalidValue) as caught:
        check_compounding(
            api_mg=Decimal("20000"),
            expected_api_mg=Decimal("20000"),
            volume_ml=None,
            expected_volume_ml=Decimal("10000"),
        )
    assert caught.value.field == "volume_ml"


def test_steps_are_performed_then_verified_in_order_by_two_people() -> None:
    progress: dict[str, Progress] = {}
    assert next_step(progress) == ("api", "performed")
    with pytest.raises(InvalidValue, match="api step must be performed and verified"):
        check_act("diluent", "performed", progress, 1)
    with pytest.raises(InvalidValue, match="has not been performed"):
        check_act("api", "verified", progress, 2)
    check_act("api", "performed", progress, 1)
    progress["api"] = Progress(performed_by=1)
    with pytest.raises(InvalidValue, match="already performed"):
        check_act("api", "performed", progress, 1)
    with pytest.raises(InvalidValue) as caught:
        check_act("api", "verified", progress, 1)
    assert caught.value.field == "user"
    with pytest.raises(InvalidValue, match="api step must be performed and verified"):
        check_act("diluent", "performed", progress, 1)
    check_act("api", "verified", progress, 2)
    progress["api"] = Progress(1, 2)
    assert next_step(progress) == ("diluent", "performed")
    for name in STEP_NAMES:
        progress[name] = Progress(1, 2)
    assert complete(progress)
    assert next_step(progress) is None
    with pytest.raises(InvalidValue) as caught:
        check_act("mixing", "performed", progress, 1)
    assert caught.value.field == "step"


def test_the_decontamination_must_exist_be_verified_and_unexpired() -> None:
    valid = LineStateRecord("VHP 1", NOW + timedelta(hours=1), verified=True)
    check_decontamination(valid, NOW)
    for found, text in [
        (None, "no decontamination"),
        (LineStateRecord("VHP 1", NOW + timedelta(hours=1), verified=False), "not signed"),
        (LineStateRecord("VHP 1", NOW, verified=True), "expired"),
    ]:
        with pytest.raises(InvalidValue, match=text) as caught:
            check_decontamination(found, NOW)
        assert caught.value.field == "decontamination"


def test_format_parts_must_match_the_vial_format() -> None:
    later = NOW + timedelta(days=1)
    v10 = LineStateRecord("FP 1", later, verified=True, vial_format="V10")
    check_format_parts([v10], "V10", NOW)
    for found, text in [
        ([v10], "no format parts set for vial format V20"),
        ([LineStateRecord("FP 2", later, False, "V20")], "signed performed and verified"),
        ([LineStateRecord("FP 3", NOW, True, "V20")], "expired"),
    ]:
        with pytest.raises(InvalidValue, match=text) as caught:
            check_format_parts(found, "V20", NOW)
        assert caught.value.field == "format_parts"
