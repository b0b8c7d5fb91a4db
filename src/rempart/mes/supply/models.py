"""The shortage watch's records: BDPM imports with their rows, forecasts, stock, alerts.

None of these is a GMP record (they are not audited by triggers): the BDPM files are public
reference data stored as received, each import kept whole with who imported it and the
database time, so the history is its own record; forecasts and stock counts are planning
inputs, stamped with who entered them and when; alerts are derived from the rest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from rempart.mes.catalog.models import Hospital, Product
from rempart.shortage.alerts import AlertKind
from rempart.shortage.bdpm import MAX_LABEL, MAX_NAME, MAX_URL, FileKind, SupplyStatus


class BdpmImport(models.Model):
    """One BDPM file as imported: the rows are stored under it, never replaced."""

    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in FileKind])
    source = models.CharField(max_length=255)
    encoding = models.CharField(max_length=20)
    imported_at = models.DateTimeField(db_default=Now())
    rows = models.PositiveIntegerField()
    duplicates_dropped = models.PositiveIntegerField(default=0)
    #: Lines left out under "skip bad lines": [{"line": 12, "message": "..."}].
    skipped_lines = models.JSONField(default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    #: How it came in: "page", "cli" or "demo".
    channel = models.CharField(max_length=20)

    class Meta:
        ordering = ("-imported_at", "-pk")

    def __str__(self) -> str:
        return f"{self.kind} {self.source} ({self.rows} rows)"


class SupplyStatusRecord(models.Model):
    """One row of an ANSM availability file (`CIS_CIP_Dispo_Spec.txt`)."""

    bdpm_import = models.ForeignKey(BdpmImport, on_delete=models.PROTECT, related_name="statuses")
    cis = models.CharField(max_length=8, db_index=True)
    cip13 = models.CharField(max_length=13, blank=True)
    status = models.PositiveSmallIntegerField(choices=[(s.value, s.label_fr) for s in SupplyStatus])
    label = models.CharField(max_length=MAX_LABEL)
    start_date = models.DateField()
    update_date = models.DateField()
    back_in_supply_date = models.DateField(null=True, blank=True)
    url = models.CharField(max_length=MAX_URL, blank=True)

    class Meta:
        ordering = ("cis", "start_date")

    def __str__(self) -> str:
        return f"{self.cis} {self.label}"


class MitmSpecialty(models.Model):
    """One row of the MITM list (`CIS_MITM.txt`)."""

    bdpm_import = models.ForeignKey(
        BdpmImport, on_delete=models.PROTECT, related_name="specialties"
    )
    cis = models.CharField(max_length=8, db_index=True)
    atc = models.CharField(max_length=7, db_index=True)
    name = models.CharField(max_length=MAX_NAME)
    url = models.CharField(max_length=MAX_URL, blank=True)

    class Meta:
        ordering = ("cis",)

    def __str__(self) -> str:
        return f"{self.cis} {self.name}"


class ConsumptionForecast(models.Model):
    """Vials per day a hospital expects to use of a product over a period (open-ended if no
    end). The latest entered forecast covering a day is the one that counts."""

    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    vials_per_day = models.DecimalField(max_digits=9, decimal_places=2)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("hospital__name", "product__code", "-valid_from", "-pk")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(vials_per_day__gte=0), name="supply_forecast_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="supply_forecast_period_ordered",
            ),
        )

    def __str__(self) -> str:
        return f"{self.product_id}@{self.hospital_id}: {self.vials_per_day}/day"


class StockSnapshot(models.Model):
    """A stock count entered by hand, for a hospital × product the stock ledger knows nothing
    of (a hospital not supplied through rempart yet); `cover.coverage` uses the ledger when
    it has delivered the product to the hospital."""

    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    counted_on = models.DateField()
    released_vials = models.PositiveIntegerField()
    quarantine_vials = models.PositiveIntegerField(default=0)
    quarantine_release_date = models.DateField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("hospital__name", "product__code", "-counted_on", "-pk")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(quarantine_vials=0)
                | models.Q(quarantine_release_date__isnull=False),
                name="supply_stock_quarantine_has_release_date",
            ),
        )

    def __str__(self) -> str:
        return f"{self.product_id}@{self.hospital_id} on {self.counted_on}: {self.released_vials}"


class SupplyAlert(models.Model):
    """An alert as it was raised, e-mailed and cleared. At most one open per product × kind."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in AlertKind])
    message = models.TextField()
    raised_at = models.DateTimeField(db_default=Now())
    emailed_at = models.DateTimeField(null=True, blank=True)
    emailed_to = models.TextField(blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-raised_at", "-pk")
        constraints = (
            models.UniqueConstraint(
                fields=("product", "kind"),
                condition=models.Q(cleared_at__isnull=True),
                name="supply_one_open_alert_per_product_kind",
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None
