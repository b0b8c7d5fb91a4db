"""Round trip: generate (zxing-cpp) → render (PNG) → decode with another library (libdmtx)
→ parse (biip) → the same GTIN, expiry, lot and serial."""

from __future__ import annotations

from datetime import date

import biip
import pytest
import zxingcpp
from PIL import Image

from rempart.domain.gs1 import GS, VialIdentity
from rempart.mes.labels import datamatrix
from rempart.mes.labels.identity import parse_scan

from .dmtx import read_png

IDENTITIES = [
    VialIdentity("03453120000011", date(2026, 7, 4), "ROC-26-001", "000007"),
    VialIdentity("00400000000015", date(2075, 12, 31), "L", "999999"),
    VialIdentity("00400000000015", date(2027, 2, 28), "A/4.x_Z!%&'*+,:;<=>?", "000001"),
    VialIdentity("06291041500213", date(2030, 1, 1), "12345678901234567890", "12"),
]


@pytest.mark.parametrize("identity", IDENTITIES, ids=lambda i: i.lot)
def test_round_trip_through_an_independent_decoder(identity: VialIdentity) -> None:
    png = datamatrix.png(identity, scale=4, quiet_zone=2)
    decoded = read_png(png)
    assert len(decoded) == 1
    # libdmtx reports FNC1 as GS: the first one proves FNC1 in first position.
    assert decoded[0] == (GS + identity.element_string()).encode("ascii")
    text = decoded[0].decode("ascii")[1:]
    parsed = biip.parse(text).gs1_message
    assert parsed is not None
    fields = {e.ai.ai: e for e in parsed.element_strings}
    assert fields["01"].value == identity.gtin
    assert fields["01"].gtin_error is None
    assert fields["17"].date == identity.expiry
    assert fields["10"].value == identity.lot
    assert fields["21"].value == identity.serial
    assert parse_scan("]d2" + text) == identity


@pytest.mark.parametrize("identity", IDENTITIES, ids=lambda i: i.lot)
def test_the_symbol_is_square_gs1_and_read_back_by_zxing_too(identity: VialIdentity) -> None:
    barcode = datamatrix.symbol(identity)
    assert barcode.content_type == zxingcpp.ContentType.GS1
    assert barcode.symbology_identifier == "]d2"
    image = datamatrix.modules(barcode)
    assert image.width == image.height
    big = Image.open(__import__("io").BytesIO(datamatrix.png(identity, scale=3, quiet_zone=2)))
    read = zxingcpp.read_barcode(big)
    assert read is not None
    assert read.text == identity.human_readable()


def test_one_pixel_per_module_png_as_embedded_in_sheets_decodes_when_scaled() -> None:
    identity = IDENTITIES[0]
    assert read_png(datamatrix.png(identity), upscale=4, quiet_zone=8) == [
        (GS + identity.element_string()).encode("ascii")
    ]


def test_svg_is_drawn_for_pages() -> None:
    svg = datamatrix.svg(IDENTITIES[0])
    assert svg.lstrip().startswith("<?xml")
    assert "<rect" in svg
