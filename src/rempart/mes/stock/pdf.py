"""The dispatch note as PDF (WeasyPrint): lots, expiry, quantities and serials per line."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from rempart.domain.stock import count, parse_ranges
from rempart.mes.stock.models import Dispatch


def serial_text(ranges_text: str) -> str:
    """Serials as printed: "000001-000009, 000011" (the label's AI 21 form)."""
    from rempart.mes.labels.identity import serial_for

    parts = []
    for low, high in parse_ranges(ranges_text):
        parts.append(serial_for(low) if low == high else f"{serial_for(low)}–{serial_for(high)}")
    return ", ".join(parts)


def dispatch_note_html(dispatch: Dispatch) -> str:
    lines = [
        {
            "product": line.lot.batch.product,
            "lot": line.lot,
            "quantity": line.quantity,
            "serials": serial_text(line.serials) if line.serials else "",
            "serial_count": count(parse_ranges(line.serials)),
        }
        for line in dispatch.lines.select_related("lot__batch__product")
    ]
    return render_to_string(
        "stock/dispatch_note.html",
        {
            "dispatch": dispatch,
            "order": dispatch.order,
            "lines": lines,
            "total": sum(line["quantity"] for line in lines),
            "printed": timezone.localtime(),
            "zone": settings.TIME_ZONE,
        },
    )


def dispatch_note_pdf(dispatch: Dispatch) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=dispatch_note_html(dispatch)).write_pdf()
    return pdf
