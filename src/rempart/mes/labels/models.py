"""Models of the labels app: how each product is coded and labelled, who issues the labels,
and the controlled-printing ledger (prints, reprints, applied/destroyed/returned counts).

Every table is a GMP record (`@audited`): the product coding and the issuer are changed by a
pharmacist through `rempart.mes.labels.services`, the ledger rows are never updated.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now

from rempart.mes.audit.registry import audited
from rempart.mes.catalog.models import Product
from rempart.mes.stock.models import Lot


@audited()
class ProductLabel(models.Model):
    """A product's label settings: its (01) code and what its label says beyond the catalogue.

    `gtin` empty means the hospital's internal code: `company_prefix` (empty = the documented
    default, `rempart.mes.labels.identity.DEFAULT_COMPANY_PREFIX`) + `item_reference` (empty =
    the product's id), check digit computed.
    """

    product = models.OneToOneField(Product, on_delete=models.PROTECT, related_name="label")
    gtin = models.CharField("GTIN", max_length=14, blank=True, default="")
    company_prefix = models.CharField(max_length=12, blank=True, default="")
    item_reference = models.CharField(max_length=12, blank=True, default="")
    #: Route of administration printed on the label (e.g. "voie intraveineuse").
    route = models.CharField(max_length=80, blank=True, default="")
    #: Investigational products only: a blinded label never shows the molecule.
    blinded = models.BooleanField(default=False)
    #: What a blinded label calls the product (e.g. "Produit expérimental ROC-2026").
    blinded_name = models.CharField(max_length=120, blank=True, default="")
    updated_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("product__code",)

    def __str__(self) -> str:
        return f"label settings of {self.product.code}"


@audited()
class LabelIssuer(models.Model):
    """The pharmacy printed on every label (one row; a pharmacist edits it)."""

    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    updated_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return self.name


class PrintKind(models.TextChoices):
    PRINT = "print", "print"
    REPRINT = "reprint", "reprint"


@audited(append_only=True)
class LabelPrint(models.Model):
    """One print or reprint of a lot's labels: who, why, how many, which serials."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="label_prints")
    kind = models.CharField(max_length=8, choices=PrintKind.choices)
    reason = models.CharField(max_length=500, blank=True, default="")
    quantity = models.PositiveIntegerField()
    #: The serials printed, as ranges ("000001-000950,000952").
    serials = models.TextField()
    #: SHA-256 of the PDF handed out, so a sheet can be matched to its record.
    pdf_sha256 = models.CharField(max_length=64)
    actor = models.CharField(max_length=200)
    actor_id = models.CharField(max_length=200)
    at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("at", "id")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in PrintKind]),
                name="label_print_kind_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=PrintKind.REPRINT.value) | ~models.Q(reason=""),
                name="label_reprint_has_reason",
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind} of {self.quantity} labels, lot {self.lot_id}"


class CountKind(models.TextChoices):
    APPLIED = "applied", "applied"
    DESTROYED = "destroyed", "destroyed"
    RETURNED = "returned", "returned"


@audited(append_only=True)
class LabelCount(models.Model):
    """Labels of a lot applied to vials, destroyed or returned (reconciliation inputs)."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="label_counts")
    kind = models.CharField(max_length=10, choices=CountKind.choices)
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=500, blank=True, default="")
    actor = models.CharField(max_length=200)
    actor_id = models.CharField(max_length=200)
    at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("at", "id")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in CountKind]),
                name="label_count_kind_known",
            ),
        )

    def __str__(self) -> str:
        return f"{self.quantity} labels {self.kind}, lot {self.lot_id}"
