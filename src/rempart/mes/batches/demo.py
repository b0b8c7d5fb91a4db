"""Demo line state: a valid VHP decontamination of LINE-1 and a sterilised format parts set
for every vial format a product uses, signed "performed" by the demo technician and
"verified" by the demo pharmacist, so that `make demo` can order and run batches.

Idempotent: nothing is written while a verified record stays valid for another day; run
`rempart mes load-demo` again after a week to renew them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import User
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.line_state import check_line_ready
from rempart.mes.batches.models import Decontamination, FormatPartsSet
from rempart.mes.catalog.models import Product, VialFormat
from rempart.mes.core.errors import Refused
from rempart.mes.signatures.services import write_signature

PERFORMER, VERIFIER = "preparateur", "pharmacien"
LINE = "LINE-1"


def _missing(fmt: VialFormat, when: datetime) -> str | None:
    """What the line lacks at `when` for `fmt`: "decontamination", "format_parts" or None
    (the decontamination is checked first)."""
    try:
        check_line_ready(LINE, fmt, when)
    except Refused as exc:
        return exc.field
    return None


def load_line_state(actor: Actor, echo: Callable[[str], None] = print) -> None:
    performer = User.objects.filter(username=PERFORMER).first()
    verifier = User.objects.filter(username=VERIFIER).first()
    if performer is None or verifier is None:
        echo("line state: demo users missing, nothing recorded")
        return
    now = datetime.now(UTC).replace(microsecond=0)
    tomorrow = now + timedelta(days=1)
    formats = list(
        VialFormat.objects.filter(
            pk__in=Product.objects.values_list("vial_format", flat=True)
        ).order_by("code")
    )
    created: list[str] = []
    stamp = now.strftime("%Y%m%d%H%M")
    for fmt in formats:
        if _missing(fmt, tomorrow) == "decontamination":
            with audited_write(actor, reason="demo line state"):
                decon = Decontamination.objects.create(
                    line_id=LINE,
                    method="VHP",
                    cycle_id=f"VHP-DEMO-{stamp}",
                    done_at=now - timedelta(hours=2),
                    valid_until=now + timedelta(days=6),
                )
            write_signature(performer, decon, Meaning.PERFORMED, comment="demo decontamination")
            write_signature(verifier, decon, Meaning.VERIFIED, comment="demo decontamination")
            created.append(str(decon))
        if _missing(fmt, tomorrow) == "format_parts":
            with audited_write(actor, reason="demo line state"):
                parts = FormatPartsSet.objects.create(
                    set_code=f"FP-{fmt.code}-DEMO-{stamp}",
                    line_id=LINE,
                    vial_format=fmt,
                    cleaned_at=now - timedelta(hours=6),
                    sterilised_at=now - timedelta(hours=3),
                    sterilisation_cycle=f"AUTOCLAVE-DEMO-{stamp}",
                    valid_until=now + timedelta(days=20),
                )
            write_signature(performer, parts, Meaning.PERFORMED, comment="demo format parts")
            write_signature(verifier, parts, Meaning.VERIFIED, comment="demo format parts")
            created.append(str(parts))
    echo(f"line state: {len(created)} records signed ({', '.join(created) or 'all valid'})")
