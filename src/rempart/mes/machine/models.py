# ruff: noqa: DJ001 - null is the line's own "no value" (docs/opcua.md), kept distinct from ""
"""What the line tells: its journal, kept whole, and the records derived from it.

`MachineEvent` is the journal as received (unique line + sequence; append-only, captured by
the audit triggers). The derived tables (vials, particle readings, alarms, interventions,
reconciliations, data gaps) name batches by the line's batch id, which is the MES batch
number, so that nothing the line says is lost for want of a batch order here.
Decision note 0010 says which tables the audit triggers capture and why.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now

from rempart.mes.audit.registry import audited, guarded


@guarded()
class MachineEvent(models.Model):
    """One journal entry as received. Append-only (the database refuses UPDATE and DELETE);
    sealed page by page by an audited `JournalPage` (decision note 0011)."""

    line_id = models.CharField(max_length=40)
    sequence = models.BigIntegerField()
    kind = models.CharField(max_length=40)
    batch_number = models.CharField(max_length=64, null=True, blank=True)
    timestamp = models.DateTimeField()
    data = models.JSONField()

    class Meta:
        ordering = ("line_id", "sequence")
        constraints = (
            models.UniqueConstraint(fields=("line_id", "sequence"), name="machine_event_once"),
        )
        indexes = (models.Index(fields=("batch_number", "kind")),)

    def __str__(self) -> str:
        return f"{self.line_id}#{self.sequence} {self.kind}"


@audited(append_only=True)
class JournalPage(models.Model):
    """The seal of one stored page of the journal: which sequences it stored and the SHA-256
    of their canonical JSON (rempart.mes.machine.seal); audited, so the seal itself is in
    the hash-chained trail."""

    line_id = models.CharField(max_length=40)
    first_sequence = models.BigIntegerField()
    last_sequence = models.BigIntegerField()
    count = models.PositiveIntegerField()
    sequences = models.TextField()
    sha256 = models.CharField(max_length=64)
    stored_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("line_id", "first_sequence")
        indexes = (models.Index(fields=("line_id", "first_sequence")),)

    def __str__(self) -> str:
        return f"{self.line_id} {self.first_sequence}-{self.last_sequence} ({self.count})"


class VialRecord(models.Model):
    """One vial (DOMAIN.md §3 rule 1: keyed by batch and sequence number)."""

    batch_number = models.CharField(max_length=64)
    vial_sequence = models.PositiveIntegerField()
    line_id = models.CharField(max_length=40)
    event_sequence = models.BigIntegerField()
    processed_at = models.DateTimeField()
    terminal_state = models.CharField(max_length=20)
    reject_reason = models.CharField(max_length=60, null=True, blank=True)
    fill_ml = models.FloatField(null=True)
    fill_mg = models.FloatField(null=True)
    fill_deviation_pct = models.FloatField(null=True)
    fill_passed = models.BooleanField(null=True)
    #: The master record's fill-weight IPC: ok, alert or action; "" when the batch's master
    #: record is unknown here or the line gave no weight.
    fill_ipc = models.CharField(max_length=6, blank=True, default="")
    reseal_sensor_c = models.FloatField(null=True)
    reseal_passed = models.BooleanField(null=True)
    cap_present = models.BooleanField(null=True)
    cap_seated = models.BooleanField(null=True)
    inspection_result = models.CharField(max_length=10, null=True)
    defect = models.CharField(max_length=40, null=True)
    defect_class = models.CharField(max_length=10, null=True)

    class Meta:
        ordering = ("batch_number", "vial_sequence")
        constraints = (
            models.UniqueConstraint(fields=("batch_number", "vial_sequence"), name="vial_once"),
        )

    def __str__(self) -> str:
        return f"{self.batch_number}/{self.vial_sequence}"


class ParticleReading(models.Model):
    """Grade A particle counts, a time series (DOMAIN.md §5.5)."""

    line_id = models.CharField(max_length=40)
    event_sequence = models.BigIntegerField()
    measured_at = models.DateTimeField()
    batch_number = models.CharField(max_length=64, null=True)
    location = models.CharField(max_length=60)
    count_0_5um_per_m3 = models.IntegerField()
    count_5um_per_m3 = models.IntegerField()
    level = models.CharField(max_length=10)
    limit_set_version = models.CharField(max_length=60)

    class Meta:
        ordering = ("measured_at",)
        constraints = (
            models.UniqueConstraint(
                fields=("line_id", "event_sequence"), name="particle_reading_once"
            ),
        )
        indexes = (models.Index(fields=("line_id", "measured_at")),)

    def __str__(self) -> str:
        return f"{self.location} {self.measured_at:%H:%M} {self.level}"


@audited()
class Alarm(models.Model):
    line_id = models.CharField(max_length=40)
    alarm_id = models.CharField(max_length=40)
    batch_number = models.CharField(max_length=64, null=True, blank=True)
    code = models.CharField(max_length=40)
    station = models.CharField(max_length=40)
    severity = models.CharField(max_length=20)
    message = models.CharField(max_length=300, blank=True, default="")
    raised_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-raised_at",)
        constraints = (models.UniqueConstraint(fields=("line_id", "alarm_id"), name="alarm_once"),)

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.code}"


@audited()
class Intervention(models.Model):
    line_id = models.CharField(max_length=40)
    intervention_id = models.CharField(max_length=40)
    batch_number = models.CharField(max_length=64, null=True, blank=True)
    type = models.CharField(max_length=20)
    name = models.CharField(max_length=60)
    glove_port = models.CharField(max_length=20, null=True, blank=True)
    operator = models.CharField(max_length=60, null=True, blank=True)
    station = models.CharField(max_length=40, null=True, blank=True)
    started_at = models.DateTimeField()
    duration_s = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ("-started_at",)
        constraints = (
            models.UniqueConstraint(
                fields=("line_id", "intervention_id"), name="intervention_once"
            ),
        )

    def __str__(self) -> str:
        return f"{self.intervention_id} {self.name}"


@audited()
class Reconciliation(models.Model):
    """Vials fed = accepted + rejected + QC samples + destroyed, checked against the vial
    records received (DOMAIN.md §3 rule 4, §5.4)."""

    batch_number = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=20)
    vials_issued = models.IntegerField()
    accepted = models.IntegerField()
    rejected = models.IntegerField()
    qc_samples = models.IntegerField()
    destroyed = models.IntegerField()
    vial_records = models.IntegerField()
    #: vials issued minus accepted + rejected + QC samples + destroyed, as the line counts.
    difference = models.IntegerField(default=0)
    #: The master record's reconciliation tolerance applied (0 when the batch is unknown).
    tolerance_vials = models.PositiveIntegerField(default=0)
    balanced = models.BooleanField()
    ended_at = models.DateTimeField()

    class Meta:
        ordering = ("-ended_at",)

    def __str__(self) -> str:
        return f"{self.batch_number} {'balanced' if self.balanced else 'MISMATCH'}"


@audited()
class DataGap(models.Model):
    """Journal sequences that could not be read: blocks the release of the batch it names
    until a QA reviewer resolves it with a reason."""

    line_id = models.CharField(max_length=40)
    first_sequence = models.BigIntegerField()
    last_sequence = models.BigIntegerField()
    batch_number = models.CharField(max_length=64, blank=True, default="")
    detected_at = models.DateTimeField(db_default=Now())
    resolved_by = models.CharField(max_length=200, blank=True, default="")
    resolution = models.CharField(max_length=500, blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("line_id", "first_sequence")
        constraints = (
            models.UniqueConstraint(
                fields=("line_id", "first_sequence", "last_sequence", "batch_number"),
                name="data_gap_once",
            ),
        )

    def __str__(self) -> str:
        return f"{self.line_id} {self.first_sequence}-{self.last_sequence}"


LIMIT_STATES = ("proposed", "approved")


@audited()
class ParticleLimitSet(models.Model):
    """Site alert limits for grade A particles, under the Annex 1 action limits; versioned.

    Proposed by a QA reviewer or pharmacist, applied only once approved by e-signature (by
    another person), from `effective_from`. Readings keep the version they were judged
    against (`ParticleReading.limit_set_version`).
    """

    version = models.CharField(max_length=60, unique=True)
    alert_0_5um = models.PositiveIntegerField()
    alert_5um = models.PositiveIntegerField()
    action_0_5um = models.PositiveIntegerField()
    action_5um = models.PositiveIntegerField()
    effective_from = models.DateTimeField()
    rationale = models.TextField(blank=True, default="")
    state = models.CharField(max_length=10, default="proposed")
    proposed_by = models.CharField(max_length=200)
    approved_by = models.CharField(max_length=200, blank=True, default="")
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-effective_from", "-pk")

    def __str__(self) -> str:
        return f"{self.version} ({self.state})"

    def signed_content(self) -> dict[str, str | int | None]:
        return {
            "version": self.version,
            "alert_0_5um": self.alert_0_5um,
            "alert_5um": self.alert_5um,
            "action_0_5um": self.action_0_5um,
            "action_5um": self.action_5um,
            "effective_from": self.effective_from.isoformat(),
            "rationale": self.rationale,
        }


@audited()
class MediaFill(models.Model):
    """A media fill (aseptic process simulation) of a line: what it covered (DOMAIN.md §5.6).
    The last one by date names the interventions a batch may see without a deviation."""

    line_id = models.CharField(max_length=40)
    performed_on = models.DateField()
    #: Intervention names covered ("type:name" or just the name), one per line.
    interventions = models.TextField()
    max_batch_vials = models.PositiveIntegerField()
    max_duration_h = models.DecimalField(max_digits=5, decimal_places=2)
    recorded_by = models.CharField(max_length=200)

    class Meta:
        ordering = ("line_id", "-performed_on", "-pk")

    def __str__(self) -> str:
        return f"{self.line_id} media fill {self.performed_on}"

    @property
    def covered(self) -> list[str]:
        return [n.strip() for n in self.interventions.splitlines() if n.strip()]
