"""Lots and their status (the stock ledger and distribution build on these).

A `Lot` is the output of one batch, kept in stock under the batch's number. It is opened in
quarantine when the batch ends and moves only through `rempart.mes.stock.lots.move_lot()`,
which checks `rempart.domain.lot.lot_transition` and appends a `LotEvent`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from rempart.domain.lot import LotStatus
from rempart.domain.stock import MovementKind
from rempart.mes.audit.registry import audited
from rempart.mes.batches.models import Batch
from rempart.mes.catalog.models import Hospital, Product, Site

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
    #: A remark shown with the lot (where blocked vials are kept, a carrier's incident...).
    remark = models.CharField(max_length=300, blank=True, default="")
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


# --- locations and the movement ledger ---------------------------------------------------


class LocationKind(models.TextChoices):
    CENTRAL = "central", "central pharmacy"
    BAY = "bay", "dispatch bay"
    TRANSIT = "transit", "in transit"
    HOSPITAL = "hospital", "hospital pharmacy"
    RETURNS = "returns", "returns (blocked)"


@audited()
class Location(models.Model):
    """Where vials can be: the central pharmacy, its dispatch bay, in transit, the returns
    area, or a hospital's pharmacy (one per hospital, at its first delivery site if any)."""

    code = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=LocationKind.choices)
    hospital = models.OneToOneField(
        Hospital, on_delete=models.PROTECT, null=True, blank=True, related_name="stock_location"
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("kind", "name")
        constraints = (
            models.CheckConstraint(
                condition=~models.Q(kind=LocationKind.HOSPITAL.value)
                | models.Q(hospital__isnull=False),
                name="hospital_location_has_hospital",
            ),
        )

    def __str__(self) -> str:
        return self.name


class MovementKindField(models.TextChoices):
    RELEASE_RECEIPT = MovementKind.RELEASE_RECEIPT.value, "receipt at release"
    PICK = MovementKind.PICK.value, "pick"
    UNPICK = MovementKind.UNPICK.value, "pick cancelled"
    DISPATCH = MovementKind.DISPATCH.value, "dispatch"
    HOSPITAL_RECEIPT = MovementKind.HOSPITAL_RECEIPT.value, "receipt at hospital"
    RETURN = MovementKind.RETURN.value, "return"
    RECALL_RETURN = MovementKind.RECALL_RETURN.value, "recall return"
    USE_DECLARED = MovementKind.USE_DECLARED.value, "use declared"
    DESTRUCTION = MovementKind.DESTRUCTION.value, "destruction"
    LOSS = MovementKind.LOSS.value, "loss (explained)"


@audited(append_only=True)
class Movement(models.Model):
    """One stock movement: never updated, never deleted. Balances are derived from these
    (`rempart.mes.stock.ledger`), never stored."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=20, choices=MovementKindField.choices)
    source = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField()
    #: Vial sequences moved, as ranges ("1-250,260-300"); "" when only the count is known.
    serials = models.TextField(blank=True, default="")
    dispatch = models.ForeignKey(
        "Dispatch", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    recall = models.ForeignKey(
        "Recall", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    reason = models.CharField(max_length=500, blank=True, default="")
    actor = models.CharField(max_length=200)
    at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("id",)
        indexes = (models.Index(fields=("lot", "id")),)
        constraints = (
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="movement_positive"),
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in MovementKind]),
                name="movement_kind_known",
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} × {self.lot_id}"


# --- orders, dispatches, receipts ---------------------------------------------------------


class OrderStatus(models.TextChoices):
    OPEN = "open", "open"
    ALLOCATED = "allocated", "allocated"
    PICKED = "picked", "picked"
    DISPATCHED = "dispatched", "dispatched"
    RECEIVED = "received", "received"
    CANCELLED = "cancelled", "cancelled"


@audited()
class Order(models.Model):
    """A hospital's requisition, placed by its orderer."""

    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="orders")
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    urgent = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=12, choices=OrderStatus.choices, default="open")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in OrderStatus]),
                name="order_status_known",
            ),
        )

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"CMD-{self.pk:06d}"


@audited()
class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity_requested = models.PositiveIntegerField()
    #: Set by the allocation; None until the central pharmacy allocates.
    quantity_allocated = models.PositiveIntegerField(null=True, blank=True)
    #: Why this line gets what it gets, in words the hospital reads on its order.
    allocation_reason = models.CharField(max_length=600, blank=True, default="")

    class Meta:
        ordering = ("order", "id")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(quantity_requested__gt=0), name="order_line_positive"
            ),
        )

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity_requested} × {self.product_id}"


class DispatchStatus(models.TextChoices):
    PICKED = "picked", "picked"
    SHIPPED = "shipped", "shipped"
    RECEIVED = "received", "received"
    CANCELLED = "cancelled", "cancelled"


@audited()
class Dispatch(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="dispatches")
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=DispatchStatus.choices, default="picked")
    picked_by = models.CharField(max_length=200)
    shipped_by = models.CharField(max_length=200, blank=True, default="")
    shipped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"EXP-{self.pk:06d}"


@audited(append_only=True)
class DispatchLine(models.Model):
    """One lot in a dispatch: how many vials and which serials (picked FEFO)."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="dispatch_lines")
    quantity = models.PositiveIntegerField()
    serials = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("dispatch", "id")

    def __str__(self) -> str:
        return f"{self.dispatch_id}: {self.quantity} × {self.lot_id}"


class ScanOutcome(models.TextChoices):
    OK = "ok", "matches the shipment"
    WRONG_LOT = "wrong_lot", "lot not in this shipment"
    WRONG_PRODUCT = "wrong_product", "product not in this shipment"
    NOT_IN_SHIPMENT = "not_in_shipment", "serial not in this shipment"
    EXPIRY_MISMATCH = "expiry_mismatch", "expiry differs from the lot's"
    DUPLICATE = "duplicate", "already scanned"
    RECALLED = "recalled", "lot recalled: do not use"


@audited(append_only=True)
class ReceiptScan(models.Model):
    """One scan (or typed code) at a hospital's receipt, with what the check found."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="scans")
    raw = models.CharField(max_length=200)
    gtin = models.CharField(max_length=14)
    lot_number = models.CharField(max_length=20)
    serial = models.CharField(max_length=20)
    expiry = models.DateField()
    outcome = models.CharField(max_length=16, choices=ScanOutcome.choices)
    message = models.CharField(max_length=300)
    scanned_by = models.CharField(max_length=200)
    at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("dispatch", "id")

    def __str__(self) -> str:
        return f"{self.lot_number}/{self.serial} {self.outcome}"


@audited(append_only=True)
class Receipt(models.Model):
    """The hospital's confirmation of a dispatch: what it accepted, flagged, did not get."""

    dispatch = models.OneToOneField(Dispatch, on_delete=models.PROTECT, related_name="receipt")
    received_by = models.CharField(max_length=200)
    accepted = models.PositiveIntegerField()
    flagged = models.PositiveIntegerField()
    missing = models.PositiveIntegerField()
    note = models.CharField(max_length=500, blank=True, default="")
    at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return f"receipt of {self.dispatch_id}"


# --- recall --------------------------------------------------------------------------------


@audited()
class Recall(models.Model):
    """A lot's recall: opened at once everywhere, closed by a signed reconciliation."""

    #: A foreign key, not one-to-one: the lot's status (released → recalled, final) already
    #: makes a second recall of the same lot impossible.
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="recalls")
    reason = models.CharField(max_length=500)
    opened_by = models.CharField(max_length=200)
    opened_at = models.DateTimeField(db_default=Now())
    closed_at = models.DateTimeField(null=True, blank=True)
    #: dispatched = returned + used + missing per hospital, as signed at closure.
    reconciliation = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("-opened_at",)

    def __str__(self) -> str:
        return f"recall of {self.lot_id}"

    def signed_content(self) -> dict[str, str | int | None]:
        return {
            "lot_id": self.lot_id,
            "reason": self.reason,
            "reconciliation": self.reconciliation,
        }


@audited()
class RecallNotice(models.Model):
    """What one hospital got of a recalled lot, its acknowledgement and its account."""

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="notices")
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="+")
    dispatched = models.PositiveIntegerField()
    serials = models.TextField(blank=True, default="")
    acknowledged_by = models.CharField(max_length=200, blank=True, default="")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    returned = models.PositiveIntegerField(default=0)
    used = models.PositiveIntegerField(default=0)
    explanation = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ("recall", "hospital__name")
        constraints = (
            models.UniqueConstraint(fields=("recall", "hospital"), name="one_notice_per_hospital"),
        )

    def __str__(self) -> str:
        return f"{self.recall_id} → {self.hospital_id}"

    @property
    def missing(self) -> int:
        return self.dispatched - self.returned - self.used
