"""The independent decoder of the label tests: libdmtx (through pylibdmtx), not zxing-cpp.

pylibdmtx's `decode()` drops FNC1 codewords (libdmtx's FNC1 property is left unset), which
would hide exactly what we must prove: that FNC1 comes first and separates the variable-length
fields. So this reads with pylibdmtx's own image, decoder and region helpers and sets
`DmtxPropFnc1` to GS (29): libdmtx then reports every FNC1 as a GS character, the first one
included.
"""

from __future__ import annotations

import io
from ctypes import cast

from PIL import Image, ImageOps
from pylibdmtx import pylibdmtx as dmtx
from pylibdmtx.wrapper import DmtxProperty, c_ubyte_p, dmtxDecodeSetProp

GS = 29


def read_all(image: Image.Image) -> list[bytes]:
    """Every DataMatrix libdmtx finds in `image`, FNC1 reported as GS (0x1d)."""
    grey = image.convert("L")
    pixels, width, height, bpp = dmtx._pixel_data(grey)
    found: list[bytes] = []
    with (
        dmtx._image(cast(pixels, c_ubyte_p), width, height, dmtx._PACK_ORDER[bpp]) as img,
        dmtx._decoder(img, 1) as decoder,
    ):
        dmtxDecodeSetProp(decoder, DmtxProperty.DmtxPropFnc1, GS)
        while True:
            with dmtx._region(decoder, None) as region:
                if not region:
                    break
                decoded = dmtx._decode_region(decoder, region, dmtx.DmtxUndefined, 1)
                if decoded:
                    found.append(bytes(decoded.data))
    return found


def read_png(data: bytes, *, upscale: int = 1, quiet_zone: int = 0) -> list[bytes]:
    """Decode a PNG; a one-pixel-per-module symbol is upscaled and framed first."""
    image = Image.open(io.BytesIO(data)).convert("L")
    if upscale != 1:
        image = image.resize((image.width * upscale, image.height * upscale), Image.NEAREST)
    if quiet_zone:
        image = ImageOps.expand(image, border=quiet_zone, fill=255)
    return read_all(image)
