"""The facts of one batch for release, gathered from every app, and the tables the batch
record shows (QC results, release decisions).

`release_facts(batch)` builds the domain's `ReleaseFacts`; `release_checklist(batch)` applies
`rempart.domain.release.release_blockers` to them: the one source of release rules for the
cockpit, the release service and the batch record. Stable signatures (used by `records`):
`qc_results_table`, `release_decisions`, `release_checklist`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Count, Max, Min

from rempart.domain.batch import BatchState
from rempart.domain.qualification import Held, Requirement, for_aseptic_step, missing_qualifications
from rempart.domain.release import (
    BlockingReason,
    LabelReconciliation,
    QcStatus,
    QcTest,
    Reconciliation,
    ReleaseFacts,
    ReleasePolicy,
    Releaser,
    release_blockers,
)
from rempart.domain.roles import Role
from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import User
from rempart.mes.accounts.services import held
from rempart.mes.audit.models import AuditEntry
from rempart.mes.audit.registry import specs
from rempart.mes.batches.line_state import LINE_WORK
from rempart.mes.batches.models import (
    Batch,
    Decontamination,
    FormatPartsSet,
    LineClearance,
    PreparationStep,
)
from rempart.mes.labels.services import label_reconciliation
from rempart.mes.machine.models import (
    DataGap,
    MachineEvent,
    ParticleReading,
    VialRecord,
)
from rempart.mes.machine.models import Reconciliation as LineReconciliation
from rempart.mes.qc.models import QcResult, QcSample, ViableEmResult
from rempart.mes.qc.specs import current_specification
from rempart.mes.quality.models import Deviation
from rempart.mes.signatures.models import Signature
from rempart.mes.signatures.services import ShownSignature, signatures_of
from rempart.mes.stock.models import Lot

#: Signature meanings that say a person did a step of the batch.
STEP_MEANINGS = frozenset({Meaning.PERFORMED.value, Meaning.VERIFIED.value})

#: Fields whose change is the record's workflow (a state, a closure, a resolution), not a
#: correction of what was first entered: they are not "changed after first entry".
WORKFLOW_FIELDS: dict[str, frozenset[str]] = {
    "batches_batch": frozenset({"state", "held_from"}),
    "qc_qcsample": frozenset({"status", "in_test_at"}),
    "quality_deviation": frozenset({"status", "investigation", "capa_reference", "closed_at"}),
    "machine_datagap": frozenset({"resolved_by", "resolution", "resolved_at"}),
    "stock_lot": frozenset({"status", "expiry_date", "quantity_vials"}),
    "machine_alarm": frozenset({"cleared_at"}),
    "machine_intervention": frozenset({"duration_s"}),
}


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(_zone()).isoformat() if moment is not None else ""


def batch_rows(batch: Batch) -> dict[type[models.Model], list[models.Model]]:
    """Every audited record of the batch: the batch, rows naming it (a `batch` foreign key
    or a `batch_number`), its QC results and its deviations. Append-only journal tables
    (machine events) are left out: they are never changed after first entry."""
    found: dict[type[models.Model], list[models.Model]] = {Batch: [batch]}
    for spec in specs():
        model = spec.model
        if model is Batch or model is MachineEvent:
            continue
        names = {f.name: f for f in model._meta.concrete_fields}
        field = names.get("batch")
        if field is not None and field.related_model is Batch:
            rows = list(model._default_manager.filter(batch=batch))
        elif "batch_number" in names:
            rows = list(model._default_manager.filter(batch_number=batch.batch_number))
        else:
            continue
        if rows:
            found[model] = rows
    found[QcResult] = list(QcResult.objects.filter(sample__batch=batch))
    found[Deviation] = list(
        Deviation.objects.filter(batches__batch_number=batch.batch_number).distinct()
    )
    return {m: rows for m, rows in found.items() if rows}


def _signable(rows: dict[type[models.Model], list[models.Model]]) -> Iterable[models.Model]:
    for model, records in rows.items():
        if hasattr(model, "signed_content"):
            yield from records


def _signatures(rows: dict[type[models.Model], list[models.Model]]) -> list[Signature]:
    keys: dict[str, list[str]] = {}
    for model, records in rows.items():
        keys.setdefault(model._meta.label_lower, []).extend(str(r.pk) for r in records)
    query = models.Q(pk__in=[])
    for entity, pks in keys.items():
        query |= models.Q(entity=entity, entity_key__in=pks)
    return list(Signature.objects.filter(query))


def performers(batch: Batch) -> set[int]:
    """Users who did a step of the batch: the order's author and everyone who signed one of
    its records as "performed" or "verified"."""
    rows = batch_rows(batch)
    found = {s.signer_id for s in _signatures(rows) if s.meaning in STEP_MEANINGS}
    found.add(batch.ordered_by_id)
    return found


def _requirements(batch: Batch) -> dict[type[models.Model], tuple[Requirement, ...]]:
    """The qualifications each signed step of a batch needs (the same the signing services
    ask: `batches.services`, `batches.preparation`, `batches.line_state`)."""
    aseptic = for_aseptic_step(batch.product.code)
    return {
        LineClearance: aseptic,
        PreparationStep: aseptic,
        Decontamination: LINE_WORK,
        FormatPartsSet: LINE_WORK,
    }


def _signed_steps(batch: Batch) -> list[models.Model]:
    """The batch's records whose signers need a qualification: its line clearance and
    preparation steps, and the decontamination and format parts it was sent to the line
    with."""
    records: list[models.Model] = [
        *LineClearance.objects.filter(batch=batch),
        *PreparationStep.objects.filter(batch=batch),
    ]
    if batch.decontamination_id is not None:
        records.append(Decontamination.objects.get(pk=batch.decontamination_id))
    if batch.format_parts_id is not None:
        records.append(FormatPartsSet.objects.get(pk=batch.format_parts_id))
    return records


def lapsed_qualifications(batch: Batch) -> list[str]:
    """Every "performed" or "verified" signature on a step of the batch whose signer did not
    hold, on the (UTC) day of signing, each qualification the step needs (DOMAIN.md §5.4
    "an operator's qualification expired at the time of work"). Signatures written by the
    services were checked when given; this catches what changed since (a qualification
    withdrawn, a signature written by another path) and keeps the rule at release."""
    needs = _requirements(batch)
    out: list[str] = []
    holdings: dict[int, list[Held]] = {}
    for record in _signed_steps(batch):
        required = needs[type(record)]
        for shown in signatures_of(record):
            sig = shown.signature
            if sig.meaning not in STEP_MEANINGS:
                continue
            if sig.signer_id not in holdings:
                holdings[sig.signer_id] = held(User.objects.get(pk=sig.signer_id))
            on = sig.signed_at.astimezone(UTC).date()
            for problem in missing_qualifications(holdings[sig.signer_id], required, on):
                when = "before" if " expired on " in problem else "when"
                out.append(
                    f"{sig.printed_name}: {problem} {when} signing {record._meta.verbose_name} "
                    f"{record} ({sig.meaning}, {_iso(sig.signed_at)})"
                )
    return out


def invalidated_signatures(batch: Batch) -> list[str]:
    """Signatures a later change invalidated and that were not given again (a later valid
    signature with the same meaning on the same record)."""
    out = []
    for record in _signable(batch_rows(batch)):
        shown = signatures_of(record)
        for i, s in enumerate(shown):
            if s.status != "invalidated by a later change":
                continue
            again = any(
                later.valid and later.signature.meaning == s.signature.meaning
                for later in shown[i + 1 :]
            )
            if not again:
                out.append(
                    f"{record._meta.verbose_name} {record}: {s.signature.meaning} by "
                    f"{s.signature.printed_name} ({s.when})"
                )
    return out


def changed_entries(batch: Batch) -> list[AuditEntry]:
    """Audit entries where a value of one of the batch's records was changed after it was
    first entered (UPDATE of a non-empty value; workflow fields aside)."""
    rows = batch_rows(batch)
    query = models.Q(pk__in=[])
    for model, records in rows.items():
        query |= models.Q(
            entity=model._meta.db_table, entity_key__in=[str(r.pk) for r in records]
        ) & ~models.Q(field__in=WORKFLOW_FIELDS.get(model._meta.db_table, frozenset()))
    return list(
        AuditEntry.objects.filter(query, action="UPDATE")
        .exclude(old_value__isnull=True)
        .exclude(old_value="")
        .order_by("seq")
    )


def _window(batch: Batch) -> tuple[datetime | None, datetime | None]:
    window = MachineEvent.objects.filter(batch_number=batch.batch_number).aggregate(
        first=Min("timestamp"), last=Max("timestamp")
    )
    return window["first"], window["last"]


def envelope_exceeded(batch: Batch) -> list[str]:
    """What of the batch exceeds its master record's media-fill envelope (DOMAIN.md §5.6):
    its size, and its duration on the line (first to last machine event of the batch)."""
    record = batch.master_record
    out = []
    if batch.quantity_vials > record.envelope_max_batch_vials:
        out.append(
            f"batch size {batch.quantity_vials} vials > {record.envelope_max_batch_vials} "
            f"vials (media fill of {record.envelope_media_fill_date.isoformat()})"
        )
    first, last = _window(batch)
    if first is not None and last is not None:
        hours = Decimal((last - first).total_seconds()) / Decimal(3600)
        limit = record.envelope_max_duration_h
        if hours > limit:
            out.append(
                f"duration on the line {hours:.2f} h ({_iso(first)} to {_iso(last)}) > "
                f"{limit.normalize():f} h (media fill of "
                f"{record.envelope_media_fill_date.isoformat()})"
            )
    return out


def exceptions_of(batch: Batch) -> list[str]:
    """What a reviewer must look at (review by exception), each as a stable text."""
    out = []
    vials = VialRecord.objects.filter(batch_number=batch.batch_number)
    for row in (
        vials.filter(fill_ipc__in=("alert", "action"))
        .values("fill_ipc")
        .annotate(n=Count("id"))
        .order_by("fill_ipc")
    ):
        out.append(f"fill-weight IPC {row['fill_ipc']}: {row['n']} vial(s)")
    first, last = _window(batch)
    if first is not None and last is not None:
        readings = ParticleReading.objects.filter(
            line_id=batch.line_id, measured_at__range=(first, last), level__in=("alert", "action")
        )
        for row in readings.values("level").annotate(n=Count("id")).order_by("level"):
            out.append(f"grade A particle {row['level']}: {row['n']} reading(s)")
    for em in ViableEmResult.objects.filter(batches__batch_number=batch.batch_number).exclude(
        level="ok"
    ):
        out.append(
            f"viable EM {em.level}: {em.location} {em.sample_type} {em.cfu} CFU "
            f"({_iso(em.sampled_at)})"
        )
    for entry in changed_entries(batch):
        out.append(
            f"audit #{entry.seq}: {entry.entity} {entry.entity_key} {entry.field} changed "
            f"from {entry.old_value!r} to {entry.new_value!r} by {entry.printed_name}"
        )
    return out


def qc_tests(batch: Batch) -> list[QcTest]:
    out = []
    for sample in QcSample.objects.filter(batch=batch).select_related("result"):
        if not sample.tested:
            continue
        result = getattr(sample, "result", None)
        status = QcStatus.PENDING if result is None else QcStatus(result.status)
        out.append(
            QcTest(f"{sample.sample_id} ({sample.kind})", status, sample.kind == "sterility")
        )
    return out


@dataclass(frozen=True, slots=True)
class ReviewState:
    reviewer_id: int | None
    reviewer_name: str | None
    exceptions: tuple[str, ...]


def current_review(batch: Batch) -> ReviewState:
    """The latest audit-trail review whose "reviewed" signature is still valid."""
    from rempart.mes.release.models import AuditTrailReview

    for review in AuditTrailReview.objects.filter(batch=batch).order_by("-reviewed_at", "-id"):
        if any(s.valid and s.signature.meaning == Meaning.REVIEWED for s in signatures_of(review)):
            return ReviewState(
                review.reviewer_id, review.reviewer_name, tuple(review.exception_list)
            )
    return ReviewState(None, None, ())


@dataclass(frozen=True, slots=True)
class FilterState:
    used: bool
    passed: bool | None


def sterile_filtered(batch: Batch) -> bool:
    """Whether the batch's bulk is sterile-filtered (DOMAIN.md §4, §5.4).

    Rule: every master record here compounds a *solution* — the API dissolved in the
    record's diluent and made up to volume (`domain.preparation`, the compounding step) —
    then fills it aseptically; such a solution is sterilised by 0.22 µm filtration before
    filling (curares "suit sterile filtration", DOMAIN.md §4). A product that cannot be
    filtered (propofol, an emulsion) is "not producible" and has no master record. So a
    batch whose master record names a diluent is filtered."""
    return bool(batch.master_record.diluent.strip())


def filter_integrity(batch: Batch) -> FilterState:
    """The post-use filter integrity test that decides: the latest test of the batch signed
    "performed" and "verified" (both valid); None while there is none."""
    from rempart.mes.release.models import FilterIntegrityTest

    if not sterile_filtered(batch):
        return FilterState(False, None)
    for test in FilterIntegrityTest.objects.filter(batch=batch).order_by("-performed_at", "-id"):
        meanings = {s.signature.meaning for s in signatures_of(test) if s.valid}
        if {Meaning.PERFORMED.value, Meaning.VERIFIED.value} <= meanings:
            return FilterState(True, test.passed)
    return FilterState(True, None)


def _label_reconciliation(batch: Batch) -> LabelReconciliation | None:
    """Labels printed for the batch's lot against those applied, destroyed and returned
    (None while no label was printed: labelling may also follow release)."""
    lot = Lot.objects.filter(batch=batch).first()
    return label_reconciliation(lot) if lot is not None else None


def release_facts(batch: Batch) -> ReleaseFacts:
    """Everything the checklist needs about `batch`, gathered from the MES records."""
    number = batch.batch_number
    record = batch.master_record
    deviations = Deviation.objects.filter(status="open", batches__batch_number=number).distinct()
    rec = LineReconciliation.objects.filter(batch_number=number).first()
    review = current_review(batch)
    done = performers(batch)
    exceeded = envelope_exceeded(batch)
    filter_test = filter_integrity(batch)
    return ReleaseFacts(
        batch_state=BatchState(batch.state),
        open_deviations=[d.number for d in deviations if d.source != "em_excursion"],
        open_em_action_excursions=[d.number for d in deviations if d.source == "em_excursion"],
        qc_tests=qc_tests(batch),
        reconciliation=(
            Reconciliation(
                issued=rec.vials_issued,
                accepted=rec.accepted,
                rejected=rec.rejected,
                qc_samples=rec.qc_samples,
                retention=0,
                destroyed=rec.destroyed,
                tolerance=record.reconciliation_tolerance_vials,
            )
            if rec is not None
            else None
        ),
        label_reconciliation=_label_reconciliation(batch),
        vials_without_inspection=VialRecord.objects.filter(
            batch_number=number, terminal_state="accepted", inspection_result__isnull=True
        ).count(),
        unresolved_data_gaps=[
            f"{g.line_id} {g.first_sequence}-{g.last_sequence}"
            for g in DataGap.objects.filter(batch_number=number, resolved_at__isnull=True)
        ],
        within_envelope=not exceeded,
        envelope_exceeded=exceeded,
        lapsed_qualifications=lapsed_qualifications(batch),
        filtration_used=filter_test.used,
        filter_integrity_passed=filter_test.passed,
        audit_trail_reviewer=review.reviewer_name,
        audit_reviewer_performed_step=review.reviewer_id in done,
        invalidated_signatures=invalidated_signatures(batch),
        exceptions=exceptions_of(batch),
        reviewed_exceptions=review.exceptions,
    )


def policy() -> ReleasePolicy:
    config = settings.CONFIG
    return ReleasePolicy(
        require_independent_releaser=config.release_requires_independent_releaser,
        conditional_release=config.conditional_release,
    )


def releaser(user: User, batch: Batch) -> Releaser:
    return Releaser(
        user_id=str(user.pk),
        is_pharmacist=user.role == Role.PHARMACIST.value,
        performed_step=user.pk in performers(batch),
        reviewed_audit_trail=current_review(batch).reviewer_id == user.pk,
    )


def release_checklist(batch: Batch, user: User | None = None) -> list[BlockingReason]:
    """Every reason `batch` cannot be released now (the domain checklist on its facts); with
    `user`, that person's right to release it is judged too."""
    who = releaser(user, batch) if user is not None else None
    return release_blockers(release_facts(batch), who, policy())


def qc_results_table(batch: Batch) -> list[dict[str, str]]:
    """One row per sample × test (retention samples: one row, no test), for the record."""
    rows = []
    samples = QcSample.objects.filter(batch=batch).select_related("batch__product")
    results = {r.sample_id: r for r in QcResult.objects.filter(sample__batch=batch)}
    for sample in samples:
        result = results.get(sample.pk)
        spec = (
            result.specification
            if result is not None
            else current_specification(batch.product, sample.kind)
        )
        rows.append(
            {
                "sample_id": sample.sample_id,
                "test": sample.kind,
                "units": str(sample.units),
                "specification_version": str(spec.version) if spec and sample.tested else "",
                "method": spec.method if spec and sample.tested else "",
                "limits": spec.limits_text if spec and sample.tested else "",
                "result": result.value if result else "",
                "unit": spec.unit if spec and sample.tested else "",
                "status": result.status if result else sample.status,
                "analyst": result.analyst_name if result else "",
                "entered_at": _iso(result.entered_at) if result else "",
                "zone": settings.TIME_ZONE,
                "deviation": result.deviation_number if result else "",
            }
        )
    return rows


def _decision_row(kind: str, shown: ShownSignature, comment: str) -> dict[str, str]:
    sig = shown.signature
    return {
        "record": kind,
        "who": sig.printed_name,
        "role": sig.role,
        "meaning": sig.meaning,
        "when": shown.when,
        "signed_at": _iso(sig.signed_at),
        "comment": comment or sig.comment,
        "status": shown.status,
    }


def release_decisions(batch: Batch) -> list[dict[str, str]]:
    """The audit-trail reviews and the release or rejection, each with its signature."""
    from rempart.mes.release.models import AuditTrailReview, ReleaseDecision

    rows = []
    for review in AuditTrailReview.objects.filter(batch=batch):
        for shown in signatures_of(review):
            rows.append(_decision_row("audit trail review", shown, review.comment))
    decision = ReleaseDecision.objects.filter(batch=batch).first()
    if decision is not None:
        for shown in signatures_of(decision):
            rows.append(_decision_row(f"batch {decision.decision}", shown, decision.comment))
    return rows
