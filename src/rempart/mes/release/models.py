"""Release records: the independent audit-trail review and the pharmacist's decision.

`AuditTrailReview` rows are signed "reviewed"; the row keeps the exceptions the reviewer
saw, so that an exception arising afterwards is shown as not reviewed. `ReleaseDecision`
is one per batch (a unique constraint: two pharmacists deciding at once give one decision),
signed "released" or "rejected".
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from rempart.domain.release import FilterTestMethod
from rempart.mes.audit.registry import audited
from rempart.mes.batches.models import Batch

DECISIONS = ("released", "rejected")


@audited(append_only=True)
class AuditTrailReview(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="audit_reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewer_name = models.CharField(max_length=200)
    #: The exceptions shown to the reviewer, one per line (see qc.facts.exceptions_of).
    exceptions = models.TextField(blank=True, default="")
    comment = models.CharField(max_length=500, blank=True, default="")
    reviewed_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("reviewed_at", "id")

    def __str__(self) -> str:
        return f"audit review {self.batch_id} by {self.reviewer_name}"

    @property
    def exception_list(self) -> list[str]:
        return [line for line in self.exceptions.splitlines() if line]

    def signed_content(self) -> dict[str, str | int | None]:
        return {
            "batch_id": self.batch_id,
            "reviewer_id": self.reviewer_id,
            "exceptions": self.exceptions,
            "comment": self.comment,
        }


@audited(append_only=True)
class ReleaseDecision(models.Model):
    batch = models.OneToOneField(Batch, on_delete=models.PROTECT, related_name="release_decision")
    decision = models.CharField(max_length=10, choices=[(d, d) for d in DECISIONS])
    pharmacist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    pharmacist_name = models.CharField(max_length=200)
    comment = models.CharField(max_length=500, blank=True, default="")
    expiry_date = models.DateField(null=True, blank=True)
    decided_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("-decided_at", "id")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(decision__in=DECISIONS), name="release_decision_known"
            ),
        )

    def __str__(self) -> str:
        return f"{self.batch_id} {self.decision}"

    def signed_content(self) -> dict[str, str | int | None]:
        return {
            "batch_id": self.batch_id,
            "decision": self.decision,
            "comment": self.comment,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
        }


FILTER_METHODS = [(m.value, m.value.replace("_", " ")) for m in FilterTestMethod]


@audited()
class FilterIntegrityTest(models.Model):
    """The post-use integrity test of the sterilising filter a batch's bulk went through
    (DOMAIN.md §5.4 "filter integrity"): signed "performed" by who tested, then "verified"
    by a second person. `passed` is judged by `domain.release.filter_test_passes`."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="filter_tests")
    filter_lot = models.CharField(max_length=60)
    method = models.CharField(max_length=20, choices=FILTER_METHODS)
    value = models.DecimalField(max_digits=10, decimal_places=3)
    limit = models.DecimalField(max_digits=10, decimal_places=3)
    unit = models.CharField(max_length=20)
    passed = models.BooleanField()
    comment = models.CharField(max_length=500, blank=True, default="")
    performed_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("performed_at", "id")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(method__in=[m.value for m in FilterTestMethod]),
                name="filter_test_method_known",
            ),
        )

    def __str__(self) -> str:
        return f"filter {self.filter_lot} {self.method} {self.batch_id}"

    def signed_content(self) -> dict[str, str | int | None]:
        return {
            "batch_id": self.batch_id,
            "filter_lot": self.filter_lot,
            "method": self.method,
            "value": f"{Decimal(self.value).normalize():f}",
            "limit": f"{Decimal(self.limit).normalize():f}",
            "unit": self.unit,
            "passed": int(self.passed),
            "comment": self.comment,
        }
