"""Deviations: anything abnormal, classified, investigated and closed by QA with a signature.

A deviation names the batches it concerns by batch number (`DeviationBatch`), so that a
deviation opened from the line's journal links to a batch the line ran even before (or
without) its order being known here. An open deviation blocks the release of its batches.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now

from rempart.mes.audit.registry import audited

CLASSIFICATIONS = ("minor", "major", "critical")
STATUSES = ("open", "closed")
SOURCES = ("em_excursion", "reconciliation", "data_gap", "intervention", "qc_oos", "manual")


@audited()
class Deviation(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField()
    source = models.CharField(max_length=20, choices=[(s, s) for s in SOURCES])
    classification = models.CharField(
        max_length=10, choices=[(c, c) for c in CLASSIFICATIONS], default="major"
    )
    status = models.CharField(max_length=10, choices=[(s, s) for s in STATUSES], default="open")
    opened_at = models.DateTimeField(db_default=Now())
    opened_by = models.CharField(max_length=200)
    #: What triggered it on the line (line id and journal sequence), when it came from there.
    origin = models.CharField(max_length=100, blank=True, default="")
    investigation = models.TextField(blank=True, default="")
    capa_reference = models.CharField(max_length=60, blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-opened_at", "-id")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(classification__in=CLASSIFICATIONS),
                name="deviation_classification_known",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=STATUSES), name="deviation_status_known"
            ),
            models.UniqueConstraint(
                fields=("source", "origin"),
                condition=~models.Q(origin=""),
                name="deviation_one_per_origin",
            ),
        )

    def __str__(self) -> str:
        return f"DEV-{self.pk:05d} {self.title}"

    @property
    def number(self) -> str:
        return f"DEV-{self.pk:05d}"

    def signed_content(self) -> dict[str, str | int | None]:
        return {
            "title": self.title,
            "classification": self.classification,
            "investigation": self.investigation,
            "capa_reference": self.capa_reference,
            "batches": ",".join(sorted(link.batch_number for link in self.batches.all())),
        }


@audited()
class DeviationBatch(models.Model):
    deviation = models.ForeignKey(Deviation, on_delete=models.PROTECT, related_name="batches")
    batch_number = models.CharField(max_length=64, db_index=True)

    class Meta:
        ordering = ("batch_number",)
        constraints = (
            models.UniqueConstraint(
                fields=("deviation", "batch_number"), name="deviation_batch_once"
            ),
        )

    def __str__(self) -> str:
        return f"{self.deviation_id} → {self.batch_number}"
