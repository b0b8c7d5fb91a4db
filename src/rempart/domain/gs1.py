"""GS1 element strings for vial labels: (01) product, (17) expiry, (10) lot, (21) serial.

These are the rules only (standard library): check digits, the character set, date format,
and the order and separators of the element string. Rendering the DataMatrix and parsing
scanned strings use maintained libraries (zxing-cpp, biip) in the MES; this module decides
what must be encoded and refuses anything a scanner would misread.

Order: fixed-length AIs first ((01), (17)), then variable-length ones ((10), (21)), each
variable-length field but the last followed by the group separator GS (ASCII 29). The
symbol itself starts with FNC1, which the encoder adds when told the content is GS1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rempart.domain.errors import InvalidValue

GS = "\x1d"
#: GS1 AI encodable character set 82 (General Specifications §7.11, figure 7.11-1).
CSET82 = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$")


def gs1_check_digit(digits: str) -> int:
    """The mod-10 check digit for a GS1 key body (weights 3,1,3,... from the right)."""
    if not digits.isdigit():
        raise InvalidValue(f"digits only, got {digits!r}", field="gtin")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def validate_gtin14(gtin: str) -> str:
    """A 14-digit GTIN (a GTIN-13 is padded with a leading 0) with a correct check digit."""
    value = gtin.strip()
    if value.isdigit() and len(value) in (8, 12, 13):
        value = value.rjust(14, "0")
    if not (value.isdigit() and len(value) == 14):
        raise InvalidValue(f"a GTIN has 8, 12, 13 or 14 digits, got {gtin!r}", field="gtin")
    if gs1_check_digit(value[:-1]) != int(value[-1]):
        raise InvalidValue(
            f"check digit of {gtin!r} should be {gs1_check_digit(value[:-1])}", field="gtin"
        )
    return value


def internal_product_code(company_prefix: str, item_reference: str) -> str:
    """A GTIN-14 built from a (restricted-circulation or own) prefix and an item number."""
    body = (company_prefix + item_reference).rjust(13, "0")
    if len(body) != 13 or not body.isdigit():
        raise InvalidValue("prefix + item reference must make at most 13 digits", field="gtin")
    return body + str(gs1_check_digit(body))


def format_expiry(expiry: date) -> str:
    """AI (17) YYMMDD. The exact day is given (no DD=00), as hospital preparations state it."""
    if not 2000 <= expiry.year <= 2099:
        raise InvalidValue(f"expiry year {expiry.year} cannot be written as YY", field="expiry")
    return expiry.strftime("%y%m%d")


def _check_text(value: str, field: str, max_length: int) -> str:
    if not value:
        raise InvalidValue("must not be empty", field=field)
    if len(value) > max_length:
        raise InvalidValue(f"at most {max_length} characters, got {len(value)}", field=field)
    if not CSET82.match(value):
        raise InvalidValue(f"characters outside GS1 set 82 in {value!r}", field=field)
    if "(" in value or ")" in value:
        # Set 82 allows them, but the human-readable "(10)…(21)…" form would then be ambiguous
        # for a person typing it and for parsers reading it back.
        raise InvalidValue(
            f"no parentheses in {value!r}: the printed text would be ambiguous", field=field
        )
    return value


#: The longest lot number AI (10) holds.
LOT_MAX_LENGTH = 20


def check_lot(value: str, field: str = "lot") -> str:
    """`value` if it can be a GS1 lot, AI (10): 1-20 characters of set 82, no parentheses.
    A batch's number becomes its lot's number, so a batch number must pass this too."""
    return _check_text(value, field, LOT_MAX_LENGTH)


@dataclass(frozen=True, slots=True)
class VialIdentity:
    """What one vial's DataMatrix carries."""

    gtin: str
    expiry: date
    lot: str
    serial: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "gtin", validate_gtin14(self.gtin))
        check_lot(self.lot)
        _check_text(self.serial, "serial", 20)
        format_expiry(self.expiry)

    def element_string(self) -> str:
        """The data to encode (FNC1 is added by the encoder): 01…17…10…<GS>21…"""
        return f"01{self.gtin}17{format_expiry(self.expiry)}10{self.lot}{GS}21{self.serial}"

    def human_readable(self) -> str:
        """The HRI under the symbol: (01)…(17)…(10)…(21)…"""
        return f"(01){self.gtin}(17){format_expiry(self.expiry)}(10){self.lot}(21){self.serial}"


#: Serials are the vial sequence, zero-padded: unique within the lot, sortable as text.
SERIAL_WIDTH = 6


def serial_for(vial_sequence: int) -> str:
    """AI (21) of a vial: its sequence in the batch, zero-padded to `SERIAL_WIDTH` digits."""
    if isinstance(vial_sequence, bool) or not isinstance(vial_sequence, int):
        raise InvalidValue(
            f"a vial sequence is a whole number, got {vial_sequence!r}", field="serial"
        )
    if not 1 <= vial_sequence < 10**SERIAL_WIDTH:
        raise InvalidValue(
            f"vial sequence {vial_sequence} is outside 1-{10**SERIAL_WIDTH - 1}", field="serial"
        )
    return str(vial_sequence).zfill(SERIAL_WIDTH)


def sequence_from_serial(serial: str) -> int:
    """The vial sequence a serial stands for (the inverse of `serial_for`)."""
    value = serial.strip()
    if not (value.isdigit() and value.isascii()) or int(value) < 1:
        raise InvalidValue(f"a vial serial is a positive number, got {serial!r}", field="serial")
    return int(value)


def internal_gtin(company_prefix: str, item_reference: str) -> str:
    """The hospital's own 13-digit code (as a GTIN-14 with a leading 0): the company prefix,
    then the item reference zero-padded to fill 12 digits, then the check digit.

    Unlike `internal_product_code`, the prefix keeps its place at the front, so a restricted
    circulation prefix (GS1 prefixes 040-049: numbers used only within a company) stays
    recognisable to a scanner.
    """
    prefix = company_prefix.strip()
    item = item_reference.strip()
    if not (prefix.isdigit() and prefix.isascii() and 2 <= len(prefix) <= 11):
        raise InvalidValue(
            f"a company prefix has 2 to 11 digits, got {prefix!r}", field="company_prefix"
        )
    room = 12 - len(prefix)
    if not (item.isdigit() and item.isascii()) or len(item.lstrip("0") or "0") > room:
        raise InvalidValue(
            f"the item reference must be at most {room} digits after prefix {prefix}, got {item!r}",
            field="item_reference",
        )
    body = prefix + item.lstrip("0").rjust(room, "0")
    return "0" + body + str(gs1_check_digit(body))
