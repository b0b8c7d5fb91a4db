from datetime import date

import biip
import pytest
from biip.gtin import Gtin

from rempart.domain.errors import InvalidValue
from rempart.domain.gs1 import (
    GS,
    VialIdentity,
    format_expiry,
    gs1_check_digit,
    internal_product_code,
    validate_gtin14,
)


def test_check_digit_on_known_gtins() -> None:
    # GS1's worked example: 629104150021 → check digit 3.
    assert gs1_check_digit("629104150021") == 3
    assert validate_gtin14("6291041500213") == "06291041500213"


@pytest.mark.parametrize("body", ["340093000001", "000000000001", "950110153000", "123456789012"])
def test_check_digit_agrees_with_biip(body: str) -> None:
    gtin = body + str(gs1_check_digit(body))
    assert Gtin.parse(gtin).check_digit == int(gtin[-1])


@pytest.mark.parametrize("bad", ["6291041500214", "12345", "abcdefghijklmn", ""])
def test_bad_gtin_named(bad: str) -> None:
    with pytest.raises(InvalidValue) as err:
        validate_gtin14(bad)
    assert err.value.field == "gtin"


def test_internal_code_is_a_valid_gtin() -> None:
    code = internal_product_code("0200", "4200017")
    assert len(code) == 14
    assert validate_gtin14(code) == code


def test_element_string_order_and_separator() -> None:
    vial = VialIdentity("06291041500213", date(2027, 5, 31), "L26-0412", "000123")
    assert vial.element_string() == f"01062910415002131727053110L26-0412{GS}21000123"
    assert vial.human_readable() == "(01)06291041500213(17)270531(10)L26-0412(21)000123"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lot": ""}, "lot"),
        ({"lot": "L" * 21}, "lot"),
        ({"lot": "LOT 1"}, "lot"),
        ({"serial": "é1"}, "serial"),
        ({"gtin": "06291041500214"}, "gtin"),
        ({"expiry": date(1999, 1, 1)}, "expiry"),
    ],
)
def test_bad_identity_named(kwargs: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "gtin": "06291041500213",
        "expiry": date(2027, 5, 31),
        "lot": "L1",
        "serial": "1",
    }
    with pytest.raises(InvalidValue) as err:
        VialIdentity(**{**base, **kwargs})  # type: ignore[arg-type]
    assert err.value.field == field


def test_expiry_format() -> None:
    assert format_expiry(date(2026, 12, 1)) == "261201"


def test_element_string_parses_back_with_biip() -> None:
    vial = VialIdentity("06291041500213", date(2027, 5, 31), "L26-0412", "000123")
    parsed = biip.parse(vial.element_string())
    assert parsed.gs1_message is not None
    values = {e.ai.ai: e.value for e in parsed.gs1_message.element_strings}
    assert values == {"01": "06291041500213", "17": "270531", "10": "L26-0412", "21": "000123"}


def test_serials_are_zero_padded_and_reversible() -> None:
    from rempart.domain.gs1 import sequence_from_serial, serial_for

    assert serial_for(1) == "000001"
    assert serial_for(999_999) == "999999"
    assert sequence_from_serial(serial_for(8000)) == 8000
    for bad_seq in (0, -3, 1_000_000, True):
        with pytest.raises(InvalidValue) as caught:
            serial_for(bad_seq)
        assert caught.value.field == "serial"
    for bad_serial in ("", "000000", "12a", "٣"):
        with pytest.raises(InvalidValue):
            sequence_from_serial(bad_serial)


def test_internal_gtin_keeps_the_prefix_in_front_and_agrees_with_biip() -> None:
    from rempart.domain.gs1 import internal_gtin

    code = internal_gtin("040", "12")
    assert code[:13] == "0040000000012"
    assert Gtin.parse(code).check_digit == int(code[-1])
    assert validate_gtin14(code) == code
    with pytest.raises(InvalidValue) as caught:
        internal_gtin("4", "1")
    assert caught.value.field == "company_prefix"
    with pytest.raises(InvalidValue) as caught:
        internal_gtin("040", "1234567890")
    assert caught.value.field == "item_reference"


@pytest.mark.parametrize("field", ["lot", "serial"])
def test_parentheses_are_refused_in_lot_and_serial(field: str) -> None:
    values = {"lot": "ROC-1", "serial": "000001", field: "A(1)"}
    with pytest.raises(InvalidValue, match="parentheses") as caught:
        VialIdentity("06291041500213", date(2026, 7, 4), values["lot"], values["serial"])
    assert caught.value.field == field
