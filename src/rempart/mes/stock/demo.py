"""Demo stock: two released lots of ROCU-10-10 in the central pharmacy (one close to
expiry), and an open order from CH de Roubaix, so that ordering, allocation, picking,
receipt by scanning and recall can be tried at once.

Needs the demo catalogue first (`rempart.mes.catalog.demo.load_demo`: products, approved
master records, the users). The lots are made the short way: the batches are written
directly as RELEASED with the line's vial records (every 20th vial rejected), not run on the
line; their batch records therefore have no machine journal, which the demo says. Idempotent:
nothing is written when the demo lots exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from rempart.domain.lot import LotStatus
from rempart.mes.accounts.models import User
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch, BatchEvent
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.machine.models import VialRecord
from rempart.mes.stock.lots import move_lot, open_quarantine_lot
from rempart.mes.stock.models import Lot
from rempart.mes.stock.services import LineIn, place_order

PRODUCT = "ROCU-10-10"
ORDERER = "commande.roubaix"
#: (lot number, vials issued on the line, days until expiry)
LOTS = (("DEMO-ROCU-001", 600, 150), ("DEMO-ROCU-002", 240, 45))


def load_demo_stock(actor: Actor, echo: Callable[[str], None] = print) -> None:
    record = MasterRecord.objects.filter(product__code=PRODUCT, state="approved").first()
    if record is None:
        echo(f"stock demo skipped: no approved master record of {PRODUCT} (load the catalogue)")
        return
    if Lot.objects.filter(lot_number=LOTS[0][0]).exists():
        echo("stock demo: already loaded")
        return
    today = timezone.localdate()
    for number, issued, days in LOTS:
        moment = datetime.now(UTC) - timedelta(days=20)
        with audited_write(actor, reason="demo stock: released demo batch"):
            batch = Batch.objects.create(
                batch_number=number,
                master_record=record,
                product=record.product,
                quantity_vials=issued,
                planned_start=moment,
                state="released",
                ordered_by=record.author,
            )
            BatchEvent.objects.create(
                batch=batch, target="released", reason="demo data", actor=actor.printed_name
            )
        VialRecord.objects.bulk_create(
            VialRecord(
                batch_number=number,
                vial_sequence=seq,
                line_id="LINE-1",
                event_sequence=seq,
                processed_at=moment,
                terminal_state="rejected" if seq % 20 == 0 else "accepted",
            )
            for seq in range(1, issued + 1)
        )
        lot = open_quarantine_lot(
            actor,
            batch,
            quantity_vials=issued - issued // 20,
            fill_date=today - timedelta(days=20),
            expected_release_date=today - timedelta(days=5),
        )
        move_lot(actor, lot, LotStatus.RELEASED, expiry_date=today + timedelta(days=days))
        echo(f"stock demo: lot {number} released into central stock")
    orderer = User.objects.filter(username=ORDERER).first()
    if orderer is not None:
        order = place_order(orderer, [LineIn(PRODUCT, 40)], note="demo order")
        echo(f"stock demo: order {order.number} from {orderer.printed_name}")
