"""What happens when the line ends a batch, on the QC side.

`batch_filled` is called by machine-event ingestion (`rempart.mes.machine.services`), inside
the ingestion's audited transaction, right after the batch moved FILLING → FILLED on the
line's end-of-batch entry. It is the one place where the batch end starts QC.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings

from rempart.domain.batch import BatchState
from rempart.domain.qc import SampleKind, expected_release_date, plan_samples, units_leaving_lot
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.batches.services import move
from rempart.mes.core.errors import Refused
from rempart.mes.machine.models import Reconciliation
from rempart.mes.qc.models import QcSample
from rempart.mes.qc.specs import current_specification
from rempart.mes.quality.services import record_deviation
from rempart.mes.stock.lots import open_quarantine_lot


def batch_filled(actor: Actor, batch: Batch, reconciliation: Reconciliation) -> None:
    """FILLED → QUARANTINE, the sampling plan's labelled samples, the lot in quarantine.

    Idempotent: a batch that already has samples, or is no longer FILLED, is left alone.
    Samples count as taken at the line's end-of-batch time. The lot holds the accepted vials
    less the destructive samples the line did not already set aside (visual-inspection
    samples go back to the lot). Its expected release date is the fill date plus the longest
    of the product's QC lead time, the sterility incubation and the specifications' lead times.
    """
    batch.refresh_from_db()
    if batch.state != BatchState.FILLED.value or QcSample.objects.filter(batch=batch).exists():
        return
    record = batch.master_record
    planned = plan_samples(
        batch.batch_number,
        batch_vials=batch.quantity_vials,
        endotoxin_units=record.endotoxin_units,
        visual_inspection_units=record.visual_inspection_units,
        assay_units=record.assay_units,
        retention_units=record.retention_units,
        sterility_incubation_days=record.sterility_incubation_days,
    )
    fill_date = reconciliation.ended_at.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    lead_times = [batch.product.qc_lead_time_days, record.sterility_incubation_days]
    for sample in planned:
        spec = current_specification(batch.product, sample.kind)
        if spec is not None:
            lead_times.append(spec.lead_time_days)
    extra = max(0, units_leaving_lot(planned) - reconciliation.qc_samples)
    good = max(0, reconciliation.accepted - extra)
    with audited_write(actor, reason="batch end: QC samples taken, lot in quarantine"):
        move(actor, batch, BatchState.QUARANTINE, reason="batch end: QC sampling and quarantine")
        QcSample.objects.bulk_create(
            QcSample(
                batch=batch,
                sample_id=s.sample_id,
                kind=s.kind.value,
                units=s.units,
                incubation_days=s.incubation_days,
                status="retained" if s.kind is SampleKind.RETENTION else "taken",
                taken_at=reconciliation.ended_at,
                location=("retention store" if s.kind is SampleKind.RETENTION else "QC laboratory"),
            )
            for s in planned
        )
        try:
            open_quarantine_lot(
                actor,
                batch,
                quantity_vials=good,
                fill_date=fill_date,
                expected_release_date=expected_release_date(fill_date, lead_times),
            )
        except Refused as exc:
            record_deviation(
                actor,
                title=f"No quarantine lot for {batch.batch_number}",
                description=f"the lot could not be opened: {exc}",
                source="manual",
                batch_numbers=[batch.batch_number],
                origin=f"qc-lot:{batch.batch_number}",
            )
