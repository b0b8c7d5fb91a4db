"""Label sheets as PDF (WeasyPrint): one label per vial, 3 × 7 labels of 70 × 42.4 mm on A4.

Each label carries the human-readable content of `rempart.domain.labels.label_content`, the
vial's GS1 DataMatrix (a one-pixel-per-module PNG scaled without smoothing) and its
human-readable element string. The sheet's text is the label text, so it can be checked by
extracting it from the PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.template.loader import render_to_string

from rempart.domain.gs1 import VialIdentity
from rempart.domain.labels import LabelContent, PrintKind, french_date
from rempart.mes.labels import datamatrix

COLUMNS = 3
ROWS = 7
PER_PAGE = COLUMNS * ROWS


@dataclass(frozen=True, slots=True)
class SheetLabel:
    identity: VialIdentity
    image: str

    @property
    def hri(self) -> str:
        return self.identity.human_readable()


def sheet_html(
    content: LabelContent,
    identities: Sequence[VialIdentity],
    *,
    kind: PrintKind = PrintKind.PRINT,
    reason: str = "",
) -> str:
    labels = [SheetLabel(i, datamatrix.png_data_uri(i)) for i in identities]
    pages = [
        [labels[r : r + COLUMNS] for r in range(p, min(p + PER_PAGE, len(labels)), COLUMNS)]
        for p in range(0, len(labels), PER_PAGE)
    ]
    return render_to_string(
        "labels/sheet.html",
        {
            "content": content,
            "pages": pages,
            "kind": kind.value,
            "reason": reason,
            "count": len(labels),
            "lot": identities[0].lot if identities else "",
            "expiry": french_date(identities[0].expiry) if identities else "",
        },
    )


def render_sheet(
    content: LabelContent,
    identities: Sequence[VialIdentity],
    *,
    kind: PrintKind = PrintKind.PRINT,
    reason: str = "",
) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=sheet_html(content, identities, kind=kind, reason=reason)).write_pdf()
    return pdf
