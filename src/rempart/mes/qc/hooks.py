"""What happens when the line ends a batch, on the QC side.

`batch_filled` is called by machine-event ingestion (`rempart.mes.machine.services`), inside
the ingestion's audited transaction, right after the batch moved FILLING → FILLED on the
line's end-of-batch entry. It is the one place where the batch end starts QC.
"""

from __future__ import annotations

from rempart.mes.audit.context import Actor
from rempart.mes.batches.models import Batch
from rempart.mes.machine.models import Reconciliation


def batch_filled(actor: Actor, batch: Batch, reconciliation: Reconciliation) -> None:
    """Nothing yet: QC sampling and quarantine are being built (issue on QC and release)."""
