"""Batch orders and their lifecycle, kept as events (DOMAIN.md §5.2).

A `Batch` keeps the exact master-record version it was ordered with. Its state changes only
through `services.move()`, which checks the domain transition table and appends a
`BatchEvent`; the state column is a cache of the last event, constrained to known states.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from rempart.domain.batch import BatchState
from rempart.mes.audit.registry import audited
from rempart.mes.catalog.models import MasterRecord, Product

STATE_CHOICES = [(s.value, s.value.replace("_", " ")) for s in BatchState]


@audited()
class Batch(models.Model):
    batch_number = models.CharField(max_length=64, unique=True)
    master_record = models.ForeignKey(MasterRecord, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="batches")
    quantity_vials = models.PositiveIntegerField()
    planned_start = models.DateTimeField()
    line_id = models.CharField(max_length=40, default="LINE-1")
    state = models.CharField(max_length=20, choices=STATE_CHOICES, default=BatchState.PLANNED)
    held_from = models.CharField(max_length=20, choices=STATE_CHOICES, blank=True, default="")
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("-planned_start", "-id")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in BatchState]),
                name="batch_state_known",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity_vials__gt=0), name="batch_quantity_positive"
            ),
        )

    def __str__(self) -> str:
        return self.batch_number

    def signed_content(self) -> dict[str, str | int | None]:
        return {
            "batch_number": self.batch_number,
            "master_record_id": self.master_record_id,
            "quantity_vials": self.quantity_vials,
            "line_id": self.line_id,
        }


@audited(append_only=True)
class BatchEvent(models.Model):
    """One lifecycle transition: never updated, never deleted."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="events")
    source = models.CharField(max_length=20, blank=True, default="")
    target = models.CharField(max_length=20)
    reason = models.CharField(max_length=500, blank=True, default="")
    actor = models.CharField(max_length=200)
    at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.source or '-'} → {self.target}"


@audited()
class LineClearance(models.Model):
    """The line clearance before a batch: performed by one person, verified by another,
    each by e-signature on this record."""

    batch = models.OneToOneField(Batch, on_delete=models.PROTECT, related_name="clearance")
    checks = models.TextField()
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"line clearance {self.batch_id}"

    def signed_content(self) -> dict[str, str | int | None]:
        return {"batch_id": self.batch_id, "checks": self.checks}
