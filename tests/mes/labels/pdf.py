"""Reading a label sheet back: its text (pypdf) and its DataMatrix symbols (libdmtx)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from .dmtx import read_all


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def squeezed(text: str) -> str:
    """Without any whitespace: a label line wrapped in the PDF still matches."""
    return "".join(text.split())


def symbols_of(pdf: bytes) -> list[bytes]:
    """Every DataMatrix embedded in the sheet, decoded by libdmtx (FNC1 reported as GS)."""
    from PIL import ImageOps

    found: list[bytes] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            pil = image.image.convert("L")
            big = pil.resize((pil.width * 4, pil.height * 4), resample=0)
            found.extend(read_all(ImageOps.expand(big, border=8, fill=255)))
    return found
