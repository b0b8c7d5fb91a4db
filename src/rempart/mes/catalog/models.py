"""Master data. Every table is audited by database triggers; rules live in `rempart.domain`."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from rempart.domain.master_record import MasterRecordState
from rempart.domain.products import RegulatoryStatus, Storage
from rempart.mes.audit.registry import audited


@audited()
class Hospital(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    town = models.CharField(max_length=100)
    department = models.CharField(max_length=3)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


@audited()
class Site(models.Model):
    """A delivery point of a hospital (its pharmacy, an ICU store)."""

    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="sites")
    code = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name


@audited()
class Molecule(models.Model):
    inn = models.CharField("INN", max_length=100, unique=True)
    atc = models.CharField("ATC code", max_length=7)
    mitm = models.BooleanField("MITM", default=False)
    cis_codes = models.CharField("CIS codes", max_length=400, blank=True, default="")

    class Meta:
        ordering = ("inn",)

    def __str__(self) -> str:
        return self.inn

    @property
    def cis_list(self) -> tuple[str, ...]:
        return tuple(c for c in self.cis_codes.split(",") if c)


@audited()
class VialFormat(models.Model):
    code = models.CharField(max_length=20, unique=True)
    nominal_volume_ml = models.DecimalField(max_digits=6, decimal_places=2)
    brimful_volume_ml = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ("nominal_volume_ml",)

    def __str__(self) -> str:
        return f"{self.code} ({self.nominal_volume_ml.normalize():f} mL)"


@audited()
class Product(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    molecule = models.ForeignKey(Molecule, on_delete=models.PROTECT, related_name="products")
    concentration_mg_per_ml = models.DecimalField(max_digits=10, decimal_places=4)
    fill_volume_ml = models.DecimalField(max_digits=7, decimal_places=3)
    vial_format = models.ForeignKey(VialFormat, on_delete=models.PROTECT, related_name="products")
    storage = models.CharField(max_length=20, choices=[(s.value, s.value) for s in Storage])
    shelf_life_days = models.PositiveIntegerField()
    qc_lead_time_days = models.PositiveIntegerField(default=15)
    regulatory_status = models.CharField(
        max_length=40, choices=[(s.value, s.value.replace("_", " ")) for s in RegulatoryStatus]
    )
    trial_reference = models.CharField(max_length=60, blank=True, default="")
    criticality = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


@audited()
class MasterRecord(models.Model):
    """One version of a product's master batch record; only a draft's content may change."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="master_records")
    version = models.PositiveIntegerField()
    state = models.CharField(
        max_length=20,
        choices=[(s.value, s.value.replace("_", " ")) for s in MasterRecordState],
        default=MasterRecordState.DRAFT.value,
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(db_default=Now())
    # Compounding formula (the API quantity and bulk volume are computed, never stored).
    batch_size_vials = models.PositiveIntegerField()
    dead_volume_ml = models.DecimalField(max_digits=8, decimal_places=2)
    line_losses_ml = models.DecimalField(max_digits=8, decimal_places=2)
    diluent = models.CharField(max_length=120)
    # In-process control: fill weight.
    density_g_per_ml = models.DecimalField(max_digits=6, decimal_places=4, default=Decimal("1"))
    fill_weight_alert_pct = models.DecimalField(max_digits=5, decimal_places=2)
    fill_weight_action_pct = models.DecimalField(max_digits=5, decimal_places=2)
    # Sampling plan (sterility units follow from the batch size).
    ipc_every_vials = models.PositiveIntegerField()
    endotoxin_units = models.PositiveIntegerField()
    retention_units = models.PositiveIntegerField()
    visual_inspection_units = models.PositiveIntegerField(default=20)
    assay_units = models.PositiveIntegerField(default=2)
    sterility_incubation_days = models.PositiveIntegerField(default=14)
    #: Vials the batch-end reconciliation may leave unaccounted without a deviation.
    reconciliation_tolerance_vials = models.PositiveIntegerField(default=0)
    # Validated envelope of the last media fill.
    batch_duration_h = models.DecimalField(max_digits=5, decimal_places=2)
    envelope_max_batch_vials = models.PositiveIntegerField()
    envelope_max_duration_h = models.DecimalField(max_digits=5, decimal_places=2)
    envelope_media_fill_date = models.DateField()

    class Meta:
        ordering = ("product__code", "-version")
        constraints = (
            models.UniqueConstraint(fields=("product", "version"), name="mbr_one_per_version"),
            models.UniqueConstraint(
                fields=("product",),
                condition=models.Q(state=MasterRecordState.APPROVED.value),
                name="mbr_one_approved_per_product",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in MasterRecordState]),
                name="mbr_state_known",
            ),
        )

    def __str__(self) -> str:
        return f"{self.product.code} v{self.version}"

    #: Fields a signature binds: the record's content, not its workflow state.
    SIGNED_FIELDS = (
        "product_id",
        "version",
        "batch_size_vials",
        "dead_volume_ml",
        "line_losses_ml",
        "diluent",
        "density_g_per_ml",
        "fill_weight_alert_pct",
        "fill_weight_action_pct",
        "ipc_every_vials",
        "endotoxin_units",
        "retention_units",
        "visual_inspection_units",
        "assay_units",
        "sterility_incubation_days",
        "reconciliation_tolerance_vials",
        "batch_duration_h",
        "envelope_max_batch_vials",
        "envelope_max_duration_h",
        "envelope_media_fill_date",
    )

    def signed_content(self) -> dict[str, str | int | None]:
        content: dict[str, str | int | None] = {}
        for name in self.SIGNED_FIELDS:
            value = getattr(self, name)
            if isinstance(value, Decimal):
                # 5, 5.0 and 5.00 are one content: never let storage scale break a signature.
                content[name] = f"{value.normalize():f}"
            else:
                content[name] = value if isinstance(value, int) else str(value)
        return content
