"""Batch orders and their lifecycle, kept as events (DOMAIN.md §5.2).

A `Batch` keeps the exact master-record version it was ordered with. Its state changes only
through `services.move()`, which checks the domain transition table and appends a
`BatchEvent`; the state column is a cache of the last event, constrained to known states.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from rempart.domain.batch import BatchState
from rempart.mes.audit.registry import audited
from rempart.mes.catalog.models import MasterRecord, Product, VialFormat

STATE_CHOICES = [(s.value, s.value.replace("_", " ")) for s in BatchState]


def _utc(moment: datetime) -> str:
    """A signed time in UTC: the same instant hashes the same whatever zone it came in."""
    return moment.astimezone(UTC).isoformat()


@audited()
class Decontamination(models.Model):
    """A decontamination cycle of the line's isolator (VHP), signed performed then verified
    by a second person; it holds the line ready for batches until `valid_until`."""

    line_id = models.CharField(max_length=40, default="LINE-1")
    method = models.CharField(max_length=20, default="VHP")
    cycle_id = models.CharField(max_length=60, unique=True)
    done_at = models.DateTimeField()
    valid_until = models.DateTimeField()
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("-done_at", "-id")

    def __str__(self) -> str:
        return f"{self.method} {self.cycle_id}"

    def signed_content(self) -> dict[str, str | int | None]:
        return {
            "line_id": self.line_id,
            "method": self.method,
            "cycle_id": self.cycle_id,
            "done_at": _utc(self.done_at),
            "valid_until": _utc(self.valid_until),
        }


@audited()
class FormatPartsSet(models.Model):
    """A set of format parts (needles, guides, star wheels) for one vial format, cleaned and
    sterilised; signed performed then verified; usable until `valid_until`."""

    set_code = models.CharField(max_length=60, unique=True)
    line_id = models.CharField(max_length=40, default="LINE-1")
    vial_format = models.ForeignKey(VialFormat, on_delete=models.PROTECT, related_name="+")
    cleaned_at = models.DateTimeField()
    sterilised_at = models.DateTimeField()
    sterilisation_cycle = models.CharField(max_length=60, blank=True, default="")
    valid_until = models.DateTimeField()
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("-sterilised_at", "-id")

    def __str__(self) -> str:
        return f"format parts {self.set_code}"

    def signed_content(self) -> dict[str, str | int | None]:
        return {
            "set_code": self.set_code,
            "line_id": self.line_id,
            "vial_format_id": self.vial_format_id,
            "cleaned_at": _utc(self.cleaned_at),
            "sterilised_at": _utc(self.sterilised_at),
            "sterilisation_cycle": self.sterilisation_cycle,
            "valid_until": _utc(self.valid_until),
        }


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
    #: The line state the batch was sent to the line with (set by `send_to_line`).
    decontamination = models.ForeignKey(
        Decontamination, on_delete=models.PROTECT, null=True, blank=True, related_name="batches"
    )
    format_parts = models.ForeignKey(
        FormatPartsSet, on_delete=models.PROTECT, null=True, blank=True, related_name="batches"
    )
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


@audited()
class PreparationStep(models.Model):
    """One step of the compounding sheet (`rempart.domain.preparation.STEPS`), created when
    it is performed (signature "performed") and then signed "verified" by a second person."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="preparation")
    step = models.CharField(max_length=20)
    position = models.PositiveSmallIntegerField()
    #: The compounding step: API weighed (mg) and bulk volume made up (mL).
    api_mg = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    volume_ml = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    #: Observations of the person who performed it.
    comment = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("batch", "position")
        constraints = (
            models.UniqueConstraint(fields=("batch", "step"), name="preparation_step_once"),
        )

    def __str__(self) -> str:
        return f"{self.batch_id} {self.step}"

    def signed_content(self) -> dict[str, str | int | None]:
        lot = ComponentLot.objects.filter(step=self).first()
        return {
            "batch_id": self.batch_id,
            "step": self.step,
            "comment": self.comment,
            "api_mg": None if self.api_mg is None else f"{self.api_mg.normalize():f}",
            "volume_ml": None if self.volume_ml is None else f"{self.volume_ml.normalize():f}",
            "component": None if lot is None else f"{lot.item_code}|{lot.lot_number}|{lot.expiry}",
        }


@audited()
class ComponentLot(models.Model):
    """A component lot used by a batch (API, diluent, vials, caps), identified by scanning
    at preparation: the backward traceability of the batch (stock reads it)."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="component_lots")
    step = models.OneToOneField(
        PreparationStep, on_delete=models.PROTECT, related_name="component_lot"
    )
    role = models.CharField(max_length=20)
    item_code = models.CharField(max_length=80)
    lot_number = models.CharField(max_length=40)
    expiry = models.DateField()
    recorded_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("batch", "id")
        constraints = (
            models.UniqueConstraint(fields=("batch", "role"), name="component_lot_once"),
        )

    def __str__(self) -> str:
        return f"{self.role} {self.item_code} lot {self.lot_number}"
