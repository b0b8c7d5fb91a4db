"""The audit entry: one row per changed field, written only by database triggers."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import models


class AuditEntry(models.Model):
    """One field of one record changed (or was set, or removed), as the database saw it.

    Rows are written by the capture triggers and never updated or deleted (guard triggers
    refuse it). `hash` = SHA-256 of the RFC 8785 canonical JSON of the other columns, which
    include `prev_hash`, so the entries form a chain `rempart audit verify` can check.
    """

    # NULL and "" differ in the hashed entry (no value vs an empty text): null=True on purpose.
    seq = models.BigIntegerField(primary_key=True)
    recorded_at = models.CharField(max_length=40)
    user_id = models.CharField(max_length=150)
    printed_name = models.CharField(max_length=200)
    role = models.CharField(max_length=40, null=True)  # noqa: DJ001
    action = models.CharField(max_length=8)
    entity = models.CharField(max_length=100, db_index=True)
    entity_key = models.CharField(max_length=100)
    field = models.CharField(max_length=100)
    old_value = models.TextField(null=True)  # noqa: DJ001
    new_value = models.TextField(null=True)  # noqa: DJ001
    reason = models.TextField(null=True)  # noqa: DJ001
    request_id = models.CharField(max_length=64, null=True)  # noqa: DJ001
    prev_hash = models.CharField(max_length=64, null=True)  # noqa: DJ001
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "audit_entry"
        ordering = ("seq",)
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.entity}:{self.entity_key}.{self.field}"

    @property
    def recorded_at_utc(self) -> datetime:
        """The database's timestamp as an aware UTC datetime (stored as ISO text, hashed)."""
        return datetime.fromisoformat(self.recorded_at.replace("Z", "+00:00")).astimezone(UTC)
