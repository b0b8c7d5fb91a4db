"""The identity API the stock app codes against: product code, serial, vial identity, scans."""

from __future__ import annotations

from datetime import date

import pytest

from rempart.domain.gs1 import GS, VialIdentity, gs1_check_digit
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.core.errors import Refused
from rempart.mes.labels.identity import (
    DEFAULT_COMPANY_PREFIX,
    gtin_for,
    parse_scan,
    sequence_from_serial,
    serial_for,
    vial_identity,
)
from rempart.mes.labels.models import ProductLabel
from tests.mes.conftest import World

from .factories import EXPIRY, make_lot

GTIN = "03453120000011"
ELEMENTS = f"01{GTIN}17260704" + f"10ROC-26-001{GS}21000007"
EXPECTED = VialIdentity(GTIN, date(2026, 7, 4), "ROC-26-001", "000007")


def test_internal_code_by_default_with_the_documented_prefix(world: World) -> None:
    code = gtin_for(world.product)
    assert len(code) == 14
    assert code.startswith("0" + DEFAULT_COMPANY_PREFIX)
    assert int(code[3:13]) == world.product.pk
    assert int(code[-1]) == gs1_check_digit(code[:-1])


def test_configured_gtin_wins_and_prefix_and_item_are_configurable(world: World) -> None:
    with audited_write(Actor.system("tests")):
        setting = ProductLabel.objects.create(
            product=world.product, company_prefix="0455", item_reference="77"
        )
    assert gtin_for(world.product)[:13] == "0045500000077"
    with audited_write(Actor.system("tests"), reason="GTIN allocated"):
        setting.gtin = "3453120000011"
        setting.save()
    assert gtin_for(world.product) == GTIN


def test_a_bad_configured_gtin_is_refused_naming_the_product(world: World) -> None:
    with audited_write(Actor.system("tests")):
        ProductLabel.objects.create(product=world.product, gtin="3453120000012")
    with pytest.raises(Refused, match=r"ROCU-10-10.*check digit") as caught:
        gtin_for(world.product)
    assert caught.value.field == "gtin"


def test_serials_are_zero_padded_sequences_and_reversible() -> None:
    assert serial_for(7) == "000007"
    assert sequence_from_serial("000007") == 7
    for bad in (0, -1, 10**6):
        with pytest.raises(Refused) as caught:
            serial_for(bad)
        assert caught.value.field == "serial"
    with pytest.raises(Refused):
        sequence_from_serial("A12")


def test_vial_identity_of_a_released_lot(world: World) -> None:
    lot = make_lot(world)
    identity = vial_identity(lot, 3)
    assert identity == VialIdentity(gtin_for(world.product), EXPIRY, "ROC-26-001", "000003")


def test_vial_identity_refused_before_release(world: World) -> None:
    lot = make_lot(world, status="quarantine")
    with pytest.raises(Refused, match="no expiry date yet") as caught:
        vial_identity(lot, 3)
    assert caught.value.field == "expiry"


@pytest.mark.parametrize(
    "scanned",
    [
        ELEMENTS,
        "]d2" + ELEMENTS,
        GS + ELEMENTS,
        "]d2" + GS + ELEMENTS + "\r\n",
        f"(01){GTIN}(17)260704(10)ROC-26-001(21)000007",
        f"  (01){GTIN}(17)260704(10)ROC-26-001(21)000007 ",
        f"01{GTIN}17260704" + f"21000007{GS}10ROC-26-001",  # serial first, lot last
    ],
)
def test_scans_and_typed_codes_parse_to_the_same_identity(scanned: str) -> None:
    assert parse_scan(scanned) == EXPECTED


@pytest.mark.parametrize(
    ("scanned", "field", "words"),
    [
        ("", "scan", "nothing was scanned"),
        ("hello", "scan", "not a GS1 code"),
        (f"01{GTIN}17260704" + "21000007", "lot", r"no lot \(10\)"),
        (f"01{GTIN}10ROC{GS}21000007", "expiry", r"no expiry \(17\)"),
        ("17260704" + f"10ROC{GS}21000007", "gtin", r"no product code \(01\)"),
        (f"01{GTIN}17260704" + "10ROC-26-001", "serial", r"no serial \(21\)"),
        (f"01{GTIN[:-1]}2" + f"1726070410ROC{GS}21000007", "gtin", "check digit"),
        (f"01{GTIN}17261304" + f"10ROC{GS}21000007", "scan", r"\(17\)"),
        (f"01{GTIN}17260704" + f"10R(C{GS}21000007", "lot", "no parentheses"),
        ("]d1" + ELEMENTS, "scan", "not a GS1 code"),
        (f"(01){GTIN}(17)260704(10)ROC", "serial", r"no serial \(21\)"),
        (f"(01){GTIN}(17)260704(10)ROC(21)", "serial", r"no serial \(21\)"),
        (ELEMENTS + f"{GS}30{'5'}", "scan", r"unexpected \(30\)"),
    ],
)
def test_malformed_scans_are_refused_naming_what_is_wrong(
    scanned: str, field: str, words: str
) -> None:
    with pytest.raises(Refused, match=words) as caught:
        parse_scan(scanned)
    assert caught.value.field == field
    assert GS not in caught.value.message  # the separator is shown as <GS>, never raw


def test_a_day_00_expiry_from_another_producer_reads_as_the_last_day_of_the_month() -> None:
    scanned = parse_scan(f"01{GTIN}17260700" + f"10ROC-26-001{GS}21000007")
    assert scanned.expiry == date(2026, 7, 31)
