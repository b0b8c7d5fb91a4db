"""The planning board's records: each planning run, and the batch orders its acceptance made.

A `PlanRun` holds the problem built from the database (`rempart-planning-problem/1` JSON),
its progress while the background solve runs, and the plan. Accepting it is a GMP decision
(batch orders follow from it): the run is signed (meaning *approved*) and audited, and each
planned lot's outcome (the batch orders made, or why none was) is an append-only `PlanOrder`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from rempart.mes.audit.registry import audited
from rempart.mes.batches.models import Batch


class RunStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


def _sha256(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@audited()
class PlanRun(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())
    #: First day of the horizon (period 0) and the form's figures, as entered.
    start_date = models.DateField()
    parameters = models.JSONField(default=dict)
    #: What the builder read and decided (fixed batches, delivery rule, skipped stock).
    notes = models.JSONField(default=list)
    problem = models.JSONField(default=dict)
    time_limit_s = models.FloatField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    #: The stage reached: queued, solving, checking, done, failed.
    stage = models.CharField(max_length=40, default="queued")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: The solver's status word (optimal, feasible, infeasible, ...), and the final gap.
    plan_status = models.CharField(max_length=30, blank=True, default="")
    gap = models.FloatField(null=True, blank=True)
    plan = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in RunStatus]),
                name="planrun_status_known",
            ),
        )

    def __str__(self) -> str:
        return f"plan run {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)

    def signed_content(self) -> dict[str, str | int | None]:
        """What an acceptance signs: this run's problem and plan, by their SHA-256."""
        return {
            "run_id": self.pk,
            "start_date": self.start_date.isoformat(),
            "problem_sha256": _sha256(self.problem),
            "plan_sha256": _sha256(self.plan),
        }


@audited(append_only=True)
class PlanOrder(models.Model):
    """One planned lot's outcome at acceptance: a batch order made, or refused with why."""

    run = models.ForeignKey(PlanRun, on_delete=models.PROTECT, related_name="orders")
    product_code = models.CharField(max_length=40)
    period = models.PositiveIntegerField()
    vials = models.PositiveIntegerField()
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    refused_field = models.CharField(max_length=60, blank=True, default="")
    refused_reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("period", "product_code", "id")

    def __str__(self) -> str:
        made = self.batch_id if self.batch_id else f"refused: {self.refused_reason}"
        return f"run {self.run_id} {self.product_code} period {self.period}: {made}"
