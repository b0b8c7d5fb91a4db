"""GS1 DataMatrix symbols of vial identities, drawn by zxing-cpp's writer.

GS1 mode (FNC1 in first position, so a scanner reports "]d2" and a GS1 parser reads the AIs)
and a square symbol (ECC 200 square sizes; the rectangular DMRE sizes are not read by many
pharmacy scanners). The content is checked before encoding (`VialIdentity` and biip: zxing-cpp
itself encodes a bad check digit or month 13 without complaint) and the written symbol is
checked after (content type GS1, symbology "]d2", bytes equal to the element string), because
zxing-cpp ignores unknown options silently. See docs/labels.md.
"""

from __future__ import annotations

import base64
import io

import biip
import numpy as np
import zxingcpp
from PIL import Image

from rempart.domain.gs1 import VialIdentity


class SymbolError(RuntimeError):
    """The writer produced something other than the GS1 square symbol asked for."""


def symbol(identity: VialIdentity) -> zxingcpp.Barcode:
    """The GS1 DataMatrix of `identity`, verified."""
    element_string = identity.element_string()
    parsed = biip.parse(element_string)
    if parsed.gs1_message is None or any(e.gtin_error for e in parsed.gs1_message.element_strings):
        raise SymbolError(f"biip refuses {identity.human_readable()}: {parsed.gs1_message_error}")
    # zxing-cpp's GS1 mode (zint underneath) takes the AIs in square brackets, which set 82
    # never contains, and writes FNC1 first and a GS after each variable-length field but the
    # last. A control character (a raw GS) in the input is refused by the writer.
    bracketed = identity.human_readable().replace("(", "[").replace(")", "]")
    barcode = zxingcpp.create_barcode(
        bracketed, zxingcpp.BarcodeFormat.DataMatrix, gs1=True, forceSquare=True
    )
    if barcode.content_type != zxingcpp.ContentType.GS1 or barcode.symbology_identifier != "]d2":
        raise SymbolError(
            f"not a GS1 DataMatrix: {barcode.content_type}, {barcode.symbology_identifier}"
        )
    if barcode.bytes != element_string.encode("ascii"):
        raise SymbolError(f"the symbol holds {barcode.bytes!r}, not {element_string!r}")
    return barcode


def modules(barcode: zxingcpp.Barcode) -> Image.Image:
    """The symbol at one pixel per module (black on white, 8-bit grey), without quiet zone."""
    pixels = np.asarray(barcode.to_image(scale=1, add_quiet_zones=False))
    image = Image.fromarray(pixels).convert("L")
    if image.width != image.height:
        raise SymbolError(f"the symbol is {image.width}×{image.height}, not square")
    return image


def png(identity: VialIdentity, *, scale: int = 1, quiet_zone: int = 0) -> bytes:
    """PNG of the symbol: `scale` pixels per module, `quiet_zone` white modules around it.

    Labels embed it at one pixel per module and let the PDF scale it without smoothing
    (`image-rendering: pixelated`), which keeps sheets small and edges sharp at any size.
    """
    image = modules(symbol(identity))
    if scale != 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    if quiet_zone:
        framed = Image.new("L", (image.width + 2 * quiet_zone * scale,) * 2, 255)
        framed.paste(image, (quiet_zone * scale, quiet_zone * scale))
        image = framed
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def svg(identity: VialIdentity) -> str:
    """SVG of the symbol (one unit per module), for pages."""
    return str(symbol(identity).to_svg())


def png_data_uri(identity: VialIdentity) -> str:
    return "data:image/png;base64," + base64.b64encode(png(identity)).decode("ascii")
