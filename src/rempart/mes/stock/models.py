"""Lots and their status (the stock ledger and distribution build on these).

A `Lot` is the output of one batch, kept in stock under the batch's number. It is opened in
quarantine when the batch ends and moves only through `rempart.mes.stock.lots.move_lot()`,
which checks `rempart.domain.lot.lot_transition` and appends a `LotEvent`.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now

from rempart.domain.lot import LotStatus
from rempart.mes.audit.registry import audited
from rempart.mes.batches.models import Batch

LOT_STATUS_CHOICES = [(s.value, s.value) for s in LotStatus]


@audited()
class Lot(models.Model):
    batch = models.OneToOneField(Batch, on_delete=models.PROTECT, related_name="lot")
    lot_number = models.CharField(max_length=20, unique=True)
    status = models.CharField(
        max_length=12, choices=LOT_STATUS_CHOICES, default=LotStatus.QUARANTINE.value
    )
    #: Good vials the batch yielded (the stock ledger starts from this count).
    quantity_vials = models.PositiveIntegerField()
    fill_date = models.DateField()
    #: Set at release from the fill date and the product's shelf life.
    expiry_date = models.DateField(null=True, blank=True)
    #: When QC is expected to be complete (the longest QC lead time), while in quarantine.
    expected_release_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("-fill_date", "lot_number")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in LotStatus]),
                name="lot_status_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=LotStatus.RELEASED.value)
                | models.Q(expiry_date__isnull=False),
                name="released_lot_has_expiry",
            ),
        )

    def __str__(self) -> str:
        return f"lot {self.lot_number} ({self.status})"


@audited(append_only=True)
class LotEvent(models.Model):
    """One status change of a lot: never updated, never deleted."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="events")
    source = models.CharField(max_length=12, blank=True, default="")
    target = models.CharField(max_length=12)
    reason = models.CharField(max_length=500, blank=True, default="")
    actor = models.CharField(max_length=200)
    at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.lot_id}: {self.source or '-'} → {self.target}"
