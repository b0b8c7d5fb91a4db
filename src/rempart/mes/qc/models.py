"""QC records: versioned specifications, the samples a batch end takes, their results, and
viable environmental-monitoring results attached to the batches they cover.

A `Specification` row is one version of the acceptance criteria of one test of one product;
a new version supersedes the previous (the highest version is current) and every
`QcResult` keeps the version it was judged against.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from rempart.domain.qc import Limits, SampleKind
from rempart.mes.audit.registry import audited
from rempart.mes.batches.models import Batch
from rempart.mes.catalog.models import Product

KIND_CHOICES = [(k.value, k.value.replace("_", " ")) for k in SampleKind]
SAMPLE_STATUSES = ("taken", "in_test", "resulted", "retained")
RESULT_STATUSES = ("passed", "failed")
EM_SAMPLE_TYPES = ("settle_plate", "contact_plate", "glove_print", "air")
GRADES = ("A", "B", "C", "D")


@audited(append_only=True)
class Specification(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    test = models.CharField(max_length=20, choices=KIND_CHOICES)
    version = models.PositiveIntegerField()
    method = models.CharField(max_length=200)
    unit = models.CharField(max_length=30, blank=True, default="")
    lower_limit = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    upper_limit = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    expected = models.CharField(max_length=60, blank=True, default="")
    lead_time_days = models.PositiveIntegerField(default=0)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("product_id", "test", "-version")
        constraints = (
            models.UniqueConstraint(
                fields=("product", "test", "version"), name="qc_spec_version_once"
            ),
        )

    def __str__(self) -> str:
        return f"{self.test} v{self.version}"

    @property
    def limits(self) -> Limits:
        return Limits(self.lower_limit, self.upper_limit, self.expected)

    @property
    def limits_text(self) -> str:
        return self.limits.text(self.unit)


@audited()
class QcSample(models.Model):
    """One labelled sample of a batch, tracked: taken → in test → resulted (retention
    samples are retained)."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="qc_samples")
    sample_id = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=KIND_CHOICES)
    units = models.PositiveIntegerField()
    incubation_days = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, default="taken")
    #: Where the sample is kept (QC laboratory, retention store...).
    location = models.CharField(max_length=100, blank=True, default="")
    taken_at = models.DateTimeField(db_default=Now())
    in_test_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("batch_id", "id")
        constraints = (
            models.UniqueConstraint(fields=("batch", "kind"), name="qc_sample_kind_once"),
            models.CheckConstraint(
                condition=models.Q(status__in=SAMPLE_STATUSES), name="qc_sample_status_known"
            ),
        )

    def __str__(self) -> str:
        return self.sample_id

    @property
    def tested(self) -> bool:
        return self.kind != SampleKind.RETENTION.value


@audited(append_only=True)
class QcResult(models.Model):
    """The result of a sample's test, judged against one specification version (never
    edited: the sample has one result)."""

    sample = models.OneToOneField(QcSample, on_delete=models.PROTECT, related_name="result")
    specification = models.ForeignKey(Specification, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=60)
    numeric_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    status = models.CharField(max_length=10)
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    analyst_name = models.CharField(max_length=200)
    comment = models.CharField(max_length=500, blank=True, default="")
    deviation_number = models.CharField(max_length=20, blank=True, default="")
    entered_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("entered_at", "id")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(status__in=RESULT_STATUSES), name="qc_result_status_known"
            ),
        )

    def __str__(self) -> str:
        return f"{self.sample_id}: {self.value} ({self.status})"


@audited(append_only=True)
class ViableEmResult(models.Model):
    """A viable environmental-monitoring plate, read days after it was exposed."""

    line_id = models.CharField(max_length=40)
    location = models.CharField(max_length=60)
    grade = models.CharField(max_length=1)
    sample_type = models.CharField(max_length=20)
    cfu = models.PositiveIntegerField()
    sampled_at = models.DateTimeField()
    read_at = models.DateTimeField()
    level = models.CharField(max_length=10)
    entered_by = models.CharField(max_length=200)
    deviation_number = models.CharField(max_length=20, blank=True, default="")
    entered_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("-sampled_at", "id")
        constraints = (
            models.CheckConstraint(condition=models.Q(grade__in=GRADES), name="em_grade_known"),
            models.CheckConstraint(
                condition=models.Q(sample_type__in=EM_SAMPLE_TYPES), name="em_sample_type_known"
            ),
        )

    def __str__(self) -> str:
        return f"{self.location} {self.sample_type} {self.cfu} CFU"


@audited(append_only=True)
class ViableEmBatch(models.Model):
    """A batch running on the line when the plate was exposed."""

    result = models.ForeignKey(ViableEmResult, on_delete=models.PROTECT, related_name="batches")
    batch_number = models.CharField(max_length=64, db_index=True)

    class Meta:
        ordering = ("batch_number",)
        constraints = (
            models.UniqueConstraint(fields=("result", "batch_number"), name="em_batch_once"),
        )

    def __str__(self) -> str:
        return f"{self.result_id} → {self.batch_number}"
