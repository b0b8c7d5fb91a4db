"""What a vial label must show, and the rules of controlled printing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from rempart.domain.errors import InvalidValue
from rempart.domain.labels import (
    TRIAL_ONLY,
    LabelFacts,
    PrintKind,
    check_count,
    check_printable,
    label_content,
    parse_ranges,
    plan_print,
    ranges,
)
from rempart.domain.lot import LotStatus
from rempart.domain.products import RegulatoryStatus, Storage

PH = LabelFacts(
    product_name="Rocuronium 10 mg/mL, 10 mL",
    molecule="rocuronium",
    concentration_mg_per_ml=Decimal("10.0000"),
    fill_volume_ml=Decimal("10.500"),
    route="voie intraveineuse",
    storage=Storage.REFRIGERATED,
    regulatory_status=RegulatoryStatus.HOSPITAL_PREPARATION,
    lot="ROC-26-001",
    expiry=date(2026, 7, 4),
    issuer_name="PUI du CHU de Lille",
    issuer_address="2 avenue Oscar Lambret, 59000 Lille",
)
IMP = replace(
    PH,
    regulatory_status=RegulatoryStatus.INVESTIGATIONAL,
    trial_reference="2026-500123-12-00",
)


def test_hospital_preparation_shows_every_french_mention() -> None:
    content = label_content(PH)
    assert content.title == "Rocuronium 10 mg/mL, 10 mL"
    assert content.value("substance") == "rocuronium"
    assert content.value("concentration") == "10 mg/mL"
    assert content.value("volume") == "10,5 mL"
    assert content.value("dose") == "105 mg"
    assert content.value("route") == "voie intraveineuse"
    assert content.value("storage") == "À conserver au réfrigérateur (entre 2 °C et 8 °C)"
    assert content.value("lot") == "ROC-26-001"
    assert content.value("expiry") == "04/07/2026"
    assert content.value("status") == "Préparation hospitalière"
    assert content.value("issuer") == "PUI du CHU de Lille, 2 avenue Oscar Lambret, 59000 Lille"
    assert not content.clinical_trial
    assert TRIAL_ONLY not in content.texts


@pytest.mark.parametrize(
    ("status", "mention"),
    [
        (RegulatoryStatus.SPECIAL_HOSPITAL_PREPARATION, "Préparation hospitalière spéciale"),
        (RegulatoryStatus.MAGISTRAL, "Préparation magistrale"),
    ],
)
def test_each_status_has_its_mention(status: RegulatoryStatus, mention: str) -> None:
    content = label_content(replace(PH, regulatory_status=status))
    assert content.value("status") == mention
    assert (content.value("patient") is not None) is (status is RegulatoryStatus.MAGISTRAL)


def test_clinical_trial_label_carries_the_trial_content() -> None:
    content = label_content(IMP)
    assert content.clinical_trial
    assert content.value("trial_only") == "Usage exclusivement réservé aux essais cliniques"
    assert content.value("trial") == "2026-500123-12-00"
    assert content.value("subject") is not None
    assert content.value("substance") == "rocuronium"
    assert any(t.startswith("Promoteur : PUI du CHU de Lille") for t in content.texts)


def test_a_blinded_label_never_names_the_molecule_or_the_strength() -> None:
    content = label_content(replace(IMP, blinded=True, blinded_name="Produit ROC-B"))
    text = " ".join(content.texts).lower()
    assert content.title == "Produit ROC-B"
    assert "rocuronium" not in text
    assert "mg" not in text
    assert content.value("trial") == "2026-500123-12-00"
    assert content.value("lot") == "ROC-26-001"
    assert content.value("volume") == "10,5 mL"


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        (replace(PH, route=" "), "route"),
        (replace(PH, issuer_name=""), "issuer"),
        (replace(PH, blinded=True, blinded_name="X"), "blinded"),
        (replace(IMP, trial_reference=""), "trial_reference"),
        (replace(IMP, blinded=True), "blinded_name"),
        (replace(PH, fill_volume_ml=Decimal(0)), "product"),
    ],
)
def test_a_label_missing_a_mention_is_refused_naming_it(facts: LabelFacts, field: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        label_content(facts)
    assert caught.value.field == field


def test_only_a_quarantined_or_released_unexpired_lot_is_printable() -> None:
    today = date(2026, 3, 1)
    check_printable(LotStatus.RELEASED, date(2026, 3, 1), today)
    check_printable(LotStatus.QUARANTINE, date(2026, 3, 1), today)
    for status in (LotStatus.RECALLED, LotStatus.REJECTED, LotStatus.EXPIRED, LotStatus.DAMAGED):
        with pytest.raises(
            InvalidValue, match="only for a lot in quarantine or released"
        ) as caught:
            check_printable(status, date(2026, 7, 1), today)
        assert caught.value.field == "status"
    with pytest.raises(InvalidValue, match="expired") as caught:
        check_printable(LotStatus.QUARANTINE, date(2026, 2, 28), today)
    assert caught.value.field == "expiry"


GOOD = (1, 2, 3, 5, 6)


def test_first_print_covers_every_accepted_vial_and_then_nothing_is_left() -> None:
    assert plan_print(PrintKind.PRINT, GOOD, ()) == GOOD
    assert plan_print(PrintKind.PRINT, GOOD, (1, 2)) == (3, 5, 6)
    with pytest.raises(InvalidValue, match="every accepted vial"):
        plan_print(PrintKind.PRINT, GOOD, GOOD)


def test_printing_again_or_a_rejected_vial_is_refused() -> None:
    with pytest.raises(InvalidValue, match=r"already printed.*000002") as caught:
        plan_print(PrintKind.PRINT, GOOD, (1, 2), requested=(2, 3))
    assert caught.value.field == "serials"
    with pytest.raises(InvalidValue, match="not accepted vials of this lot: 000004"):
        plan_print(PrintKind.PRINT, GOOD, (), requested=(4,))


def test_reprint_needs_a_reason_and_a_printed_serial() -> None:
    with pytest.raises(InvalidValue, match="needs a reason") as caught:
        plan_print(PrintKind.REPRINT, GOOD, GOOD, requested=(2,), reason="  ")
    assert caught.value.field == "reason"
    with pytest.raises(InvalidValue, match="never printed"):
        plan_print(PrintKind.REPRINT, GOOD, (1,), requested=(2,), reason="torn")
    assert plan_print(PrintKind.REPRINT, GOOD, GOOD, requested=(6, 2), reason="torn") == (2, 6)
    assert plan_print(PrintKind.REPRINT, GOOD, (1, 2), reason="printer jam") == (1, 2)


def test_counts_never_exceed_the_printed_labels() -> None:
    check_count("applied", 5, "", printed=10, accounted=5)
    with pytest.raises(InvalidValue, match="only 0 printed labels") as caught:
        check_count("returned", 1, "", printed=10, accounted=10)
    assert caught.value.field == "quantity"
    with pytest.raises(InvalidValue, match="need a reason"):
        check_count("destroyed", 1, "", printed=10, accounted=0)
    with pytest.raises(InvalidValue, match="positive"):
        check_count("applied", 0, "", printed=10, accounted=0)
    with pytest.raises(InvalidValue, match="unknown"):
        check_count("lost", 1, "", printed=10, accounted=0)


def test_ranges_round_trip() -> None:
    assert ranges([5, 1, 2, 3, 9, 10]) == "000001-000003,000005,000009-000010"
    assert ranges([]) == ""
    assert parse_ranges("000001-000003,000005,000009-000010") == (1, 2, 3, 5, 9, 10)
    assert parse_ranges(" 7 ; 2-3, 7") == (7, 2, 3)
    for bad in ("a", "3-1", "0", "1-x"):
        with pytest.raises(InvalidValue) as caught:
            parse_ranges(bad)
        assert caught.value.field == "serials"
