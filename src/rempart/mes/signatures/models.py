"""The signature: append-only (triggers refuse UPDATE and DELETE), bound to a content hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from rempart.domain.signatures import Meaning
from rempart.mes.audit.registry import audited


@audited(append_only=True)
class Signature(models.Model):
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=200)
    role = models.CharField(max_length=20)
    meaning = models.CharField(max_length=20, choices=[(m.value, m.value) for m in Meaning])
    signed_at = models.DateTimeField(db_default=Now())
    zone = models.CharField(max_length=60)
    entity = models.CharField(max_length=100)
    entity_key = models.CharField(max_length=100)
    content_hash = models.CharField(max_length=64)
    withdraws = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="withdrawals"
    )
    comment = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ("signed_at", "id")
        indexes = (models.Index(fields=("entity", "entity_key")),)
        constraints = (
            models.CheckConstraint(
                condition=models.Q(meaning__in=[m.value for m in Meaning]),
                name="signature_meaning_known",
            ),
        )

    def __str__(self) -> str:
        return f"{self.printed_name}, {self.meaning}"
