"""What identifies a vial: its (01) product code, (17) expiry, (10) lot and (21) serial.

The stable API other apps (stock, distribution, recall) code against:

- `gtin_for(product)`: the product's GTIN when set on its `ProductLabel`, otherwise the
  hospital's internal code (company prefix + item reference, check digit computed);
- `serial_for(vial_sequence)` / `sequence_from_serial(serial)`;
- `vial_identity(lot, vial_sequence)`: refused while the lot has no expiry (not released);
- `parse_scan(text)`: a scanned or typed DataMatrix content, parsed by biip (a maintained GS1
  parser), or `Refused` naming what is wrong.

Rules (check digits, character sets, the element string) live in `rempart.domain.gs1`.
"""

from __future__ import annotations

from datetime import date

import biip
from biip.gs1_messages import GS1Message

from rempart.domain.errors import DomainError
from rempart.domain.gs1 import GS, VialIdentity, internal_gtin, validate_gtin14
from rempart.domain.gs1 import sequence_from_serial as _sequence_from_serial
from rempart.domain.gs1 import serial_for as _serial_for
from rempart.mes.catalog.models import Product
from rempart.mes.core.errors import Refused
from rempart.mes.stock.models import Lot

#: Default GS1 company prefix of the hospital's internal product codes: 040 is in the GS1
#: range 040-049 reserved for restricted circulation within a company (GS1 General
#: Specifications, GS1 prefixes). Scanners read it; no other company's GTIN can collide with
#: it; it must not leave the region's hospitals. A product with a real GTIN uses that instead.
DEFAULT_COMPANY_PREFIX = "040"

#: Symbology identifiers a scanner may send before GS1 data (ISO/IEC 15424): GS1 DataMatrix,
#: GS1-128, GS1 QR, GS1 DataBar. A plain DataMatrix ("]d1") carries no GS1 data: refused.
GS1_SYMBOLOGIES = ("]d2", "]C1", "]Q3", "]e0")
_FIELDS = {"01": "product code (01)", "17": "expiry (17)", "10": "lot (10)", "21": "serial (21)"}
_FIELD_NAMES = {"01": "gtin", "17": "expiry", "10": "lot", "21": "serial"}


def gtin_for(product: Product) -> str:
    """The (01) code of `product` as 14 digits: its GTIN, or the hospital's internal code."""
    from rempart.mes.labels.models import ProductLabel

    settings = ProductLabel.objects.filter(product=product).first()
    try:
        if settings is not None and settings.gtin:
            return validate_gtin14(settings.gtin)
        prefix = (settings.company_prefix if settings else "") or DEFAULT_COMPANY_PREFIX
        item = (settings.item_reference if settings else "") or str(product.pk)
        return internal_gtin(prefix, item)
    except DomainError as exc:
        raise Refused(f"product {product.code}: {exc.message}", field=exc.field) from None


def serial_for(vial_sequence: int) -> str:
    """The (21) serial of a vial: its sequence in the batch, zero-padded (unique in the lot)."""
    try:
        return _serial_for(vial_sequence)
    except DomainError as exc:
        raise Refused(exc.message, field="serial") from None


def sequence_from_serial(serial: str) -> int:
    """The vial sequence a serial printed by `serial_for` stands for."""
    try:
        return _sequence_from_serial(serial)
    except DomainError as exc:
        raise Refused(exc.message, field="serial") from None


def vial_identity(lot: Lot, vial_sequence: int, *, gtin: str | None = None) -> VialIdentity:
    """What the vial's DataMatrix carries. Refused while the lot has no expiry (not released).

    `gtin` may be passed when the caller already has it (one query per lot, not per vial).
    """
    if lot.expiry_date is None:
        raise Refused(
            f"lot {lot.lot_number} has no expiry date yet ({lot.status}): it is not released",
            field="expiry",
        )
    code = gtin if gtin is not None else gtin_for(lot.batch.product)
    try:
        return VialIdentity(code, lot.expiry_date, lot.lot_number, serial_for(vial_sequence))
    except DomainError as exc:
        raise Refused(exc.message, field=exc.field) from None


def shown(text: str) -> str:
    """A scanned text as a person can read it: the invisible GS separator shown as <GS>."""
    cleaned = text.replace(GS, "<GS>")
    return "".join(c if c.isprintable() else f"<{ord(c):02X}>" for c in cleaned)


def parse_scan(text: str) -> VialIdentity:
    """A scanned or typed vial code, parsed with biip.

    Accepts the raw DataMatrix content with GS separators, optionally preceded by a symbology
    identifier ("]d2") or a leading FNC1/GS, and the human-readable form with parentheses,
    "(01)…(17)…(10)…(21)…". Anything else is `Refused` with a message naming the field.
    """
    raw = (text or "").strip().strip("\r\n")
    if not raw:
        raise Refused("scan: nothing was scanned or typed", field="scan")
    if len(raw) > 200:
        raise Refused(f"scan: too long ({len(raw)} characters) for a vial code", field="scan")
    if raw.startswith("]") and not raw.startswith(GS1_SYMBOLOGIES):
        raise Refused(
            f"scan: symbology {shown(raw[:3])} is not a GS1 code in {shown(raw)}", field="scan"
        )
    body = raw[3:] if raw.startswith(GS1_SYMBOLOGIES) else raw
    body = body.lstrip(GS)  # some scanners send FNC1 in first position as a GS
    if body.startswith("("):
        try:
            message = GS1Message.parse_hri(body)
        except biip.ParseError as exc:
            raise Refused(f"scan: not a GS1 code ({exc}) in {shown(raw)}", field="scan") from None
    else:
        result = biip.parse(body)
        if result.gs1_message is None:
            why = result.gs1_message_error or "not a GS1 element string"
            raise Refused(f"scan: not a GS1 code ({why}) in {shown(raw)}", field="scan")
        message = result.gs1_message
    found: dict[str, str] = {}
    dates: dict[str, date] = {}
    for element in message.element_strings:
        ai = element.ai.ai
        if ai in found:
            raise Refused(
                f"scan: {_FIELDS.get(ai, ai)} appears twice in {shown(raw)}", field="scan"
            )
        if ai == "01" and element.gtin_error:
            raise Refused(f"scan: {element.gtin_error} in {shown(raw)}", field="gtin")
        found[ai] = element.value
        if element.date is not None:
            dates[ai] = element.date  # GS1 century window; DD=00 is the month's last day
    for ai, label in _FIELDS.items():
        if ai not in found:
            raise Refused(f"scan: no {label} in {shown(raw)}", field=_FIELD_NAMES[ai])
    extra = sorted(set(found) - set(_FIELDS))
    if extra:
        names = ", ".join(f"({ai})" for ai in extra)
        raise Refused(f"scan: unexpected {names} on a vial code in {shown(raw)}", field="scan")
    expiry = dates.get("17")
    if expiry is None:
        raise Refused(
            f"scan: expiry (17) {found['17']} is not a date in {shown(raw)}", field="expiry"
        )
    try:
        return VialIdentity(found["01"], expiry, found["10"], found["21"])
    except DomainError as exc:
        raise Refused(f"scan: {exc.message} in {shown(raw)}", field=exc.field) from None
