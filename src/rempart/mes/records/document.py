"""The complete electronic batch record of one batch, as plain JSON-able data.

`collect(batch)` is the one place that assembles what the PDF (`render.py`) and the JSON
export show (DOMAIN.md §6 item 7: a complete readable copy and a machine copy, both showing
later changes). The shape is described by `batch-record.schema.json` beside this module;
docs/batch-record.md says what each section holds and where it comes from.

"The batch's records" are found from the audit registry, not from a hand-kept list, so that
a GMP model another app adds later is included without touching this module:

1. the `Batch` row;
2. every audited model with a foreign key to `Batch` pointing at it, or with a
   `batch_number` field equal to its number (machine records, deviation links, QC...);
3. the deviations linked to it (`DeviationBatch`);
4. every audited model with a foreign key to a row found in 1-3 (one level: QC results of
   its samples, for instance);
5. the signatures on any of those rows.

Every audit entry of those rows is in the document, the PDF's and the JSON's alike; an
entry whose action is not INSERT is a change after first entry and is marked
`after_first_entry`. The line's journal (`MachineEvent`) is not captured field by field: it
is append-only and sealed page by page by audited `JournalPage` rows (decision note 0011).
The pages holding the batch's entries are among its records (their audit entries listed),
and the `journal` section names them with their SHA-256.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Max, Min, Q

from rempart.domain.signatures import Meaning
from rempart.mes.audit.models import AuditEntry
from rempart.mes.audit.registry import specs
from rempart.mes.batches.models import Batch, LineClearance
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.machine.models import (
    JournalPage,
    MachineEvent,
)
from rempart.mes.quality.models import Deviation, DeviationBatch
from rempart.mes.records import sources
from rempart.mes.records.line_sections import (
    alarms_section,
    batch_window,
    environment_section,
    gaps_section,
    interventions_section,
    reconciliation_section,
    vials_section,
)
from rempart.mes.records.values import Json, decimal_text, moment
from rempart.mes.signatures.models import Signature
from rempart.mes.signatures.services import ShownSignature, signatures_of

SCHEMA_VERSION = "1"
#: Keys per IN (...) query: below SQLite's bound on variables, small enough for PostgreSQL.
CHUNK = 2000


def _chunks(keys: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


# -- which rows are the batch's records ---------------------------------------------------


def linked_records(batch: Batch) -> dict[type[models.Model], list[Any]]:
    """Audited model → primary keys of its rows that belong to `batch` (module docstring)."""
    audited = [spec.model for spec in specs() if spec.model is not Signature]
    found: dict[type[models.Model], list[Any]] = {Batch: [batch.pk]}
    for model in audited:
        if model is Batch:
            continue
        condition = Q()
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Batch:
                condition |= Q(**{field.name: batch.pk})
            elif field.name == "batch_number":
                condition |= Q(batch_number=batch.batch_number)
        if condition:
            keys = list(model._default_manager.filter(condition).values_list("pk", flat=True))
            if keys:
                found[model] = sorted(keys)
    deviations = sorted(
        set(
            DeviationBatch.objects.filter(batch_number=batch.batch_number).values_list(
                "deviation_id", flat=True
            )
        )
    )
    if deviations:
        found[Deviation] = deviations
    parents = dict(found)
    for model in audited:
        if model in found:
            continue
        condition = Q()
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if isinstance(target, type) and target in parents and target is not Batch:
                condition |= Q(**{f"{field.name}__in": parents[target]})
        if condition:
            keys = list(model._default_manager.filter(condition).values_list("pk", flat=True))
            if keys:
                found[model] = sorted(keys)
    return found


# -- sections -------------------------------------------------------------------------------


def _header(batch: Batch) -> Json:
    product = batch.product
    return {
        "batch_number": batch.batch_number,
        "product_code": product.code,
        "product_name": product.name,
        "molecule": product.molecule.inn,
        "atc": product.molecule.atc,
        "concentration_mg_per_ml": decimal_text(product.concentration_mg_per_ml),
        "fill_volume_ml": decimal_text(product.fill_volume_ml),
        "vial_format": product.vial_format.code,
        "storage": product.storage,
        "regulatory_status": product.regulatory_status,
        "quantity_vials": batch.quantity_vials,
        "line_id": batch.line_id,
        "state": batch.state,
        "planned_start": moment(batch.planned_start),
        "ordered_by": batch.ordered_by.printed_name,
        "ordered_at": moment(batch.created_at),
    }


def _states(batch: Batch) -> list[Json]:
    return [
        {
            "source": event.source,
            "target": event.target,
            "reason": event.reason,
            "actor": event.actor,
            "at": moment(event.at),
        }
        for event in batch.events.all()
    ]


def signature_json(shown: ShownSignature, record: str) -> Json:
    row = shown.signature
    return {
        "id": row.pk,
        "printed_name": row.printed_name,
        "role": row.role,
        "meaning": row.meaning,
        "signed_at": moment(row.signed_at),
        "zone": row.zone,
        "entity": row.entity,
        "entity_key": row.entity_key,
        "record": record,
        "comment": row.comment,
        "valid": shown.valid,
        "status": shown.status,
        "withdraws": row.withdraws_id,
    }


def _master_record(record: MasterRecord) -> Json:
    content = record.signed_content()
    return {
        "id": record.pk,
        "product_code": record.product.code,
        "version": record.version,
        "state": record.state,
        "author": record.author.printed_name,
        "created_at": moment(record.created_at),
        "content": {k: None if v is None else str(v) for k, v in content.items()},
        "signatures": [
            signature_json(s, f"{record.product.code} v{record.version}")
            for s in signatures_of(record)
        ],
    }


def _label(model: type[models.Model], row: models.Model) -> str:
    if isinstance(row, LineClearance):
        return "line clearance"
    if isinstance(row, Deviation):
        return f"{row.number} {row.title}"
    if isinstance(row, Batch):
        return f"batch {row.batch_number}"
    return f"{model._meta.verbose_name} {row.pk}"


def _signatures(found: dict[type[models.Model], list[Any]]) -> tuple[list[Json], list[Json]]:
    """(signatures, steps): every signature on the batch's signable rows, and one step per
    signed row with its performer and verifier (valid signatures)."""
    signatures: list[Json] = []
    steps: list[Json] = []
    for model, keys in found.items():
        if not callable(getattr(model, "signed_content", None)):
            continue
        entity = model._meta.label_lower
        signed_keys: set[str] = set()
        for part in _chunks([str(k) for k in keys]):
            signed_keys.update(
                Signature.objects.filter(entity=entity, entity_key__in=part).values_list(
                    "entity_key", flat=True
                )
            )
        if not signed_keys:
            continue
        pk_field = model._meta.pk
        assert pk_field is not None
        rows = model._default_manager.filter(
            pk__in=[pk_field.to_python(k) for k in signed_keys]
        ).order_by("pk")
        for row in rows:
            label = _label(model, row)
            shown = [signature_json(s, label) for s in signatures_of(row)]
            signatures.extend(shown)

            def first(meaning: Meaning, of: list[Json] = shown) -> str | None:
                """The valid signer with `meaning`, else the last one with why it is not."""
                named = [s for s in of if s["meaning"] == meaning]
                valid = [s for s in named if s["valid"]]
                if valid:
                    return str(valid[0]["printed_name"])
                return f"{named[-1]['printed_name']} ({named[-1]['status']})" if named else None

            steps.append(
                {
                    "name": label,
                    "entity": entity,
                    "entity_key": str(row.pk),
                    "performed_by": first(Meaning.PERFORMED),
                    "verified_by": first(Meaning.VERIFIED),
                    "approved_by": first(Meaning.APPROVED) or first(Meaning.REVIEWED),
                    "signatures": [s["id"] for s in shown],
                    "at": shown[0]["signed_at"] if shown else None,
                }
            )
    signatures.sort(key=lambda s: (s["signed_at"]["utc"], s["id"]))
    steps.sort(key=lambda s: (s["at"]["utc"] if s["at"] else "", s["name"]))
    return signatures, steps


def _deviations(number: str, signatures: list[Json]) -> list[Json]:
    out = []
    rows = (
        Deviation.objects.filter(batches__batch_number=number)
        .distinct()
        .prefetch_related("batches")
        .order_by("opened_at", "id")
    )
    for d in rows:
        closure = next(
            (
                s
                for s in signatures
                if s["entity"] == "quality.deviation"
                and s["entity_key"] == str(d.pk)
                and s["meaning"] == Meaning.APPROVED
            ),
            None,
        )
        out.append(
            {
                "number": d.number,
                "title": d.title,
                "description": d.description,
                "source": d.source,
                "origin": d.origin,
                "classification": d.classification,
                "status": d.status,
                "opened_at": moment(d.opened_at),
                "opened_by": d.opened_by,
                "investigation": d.investigation,
                "capa_reference": d.capa_reference,
                "closed_at": moment(d.closed_at),
                "batches": sorted(link.batch_number for link in d.batches.all()),
                "closure_signature": closure,
            }
        )
    return out


AUDIT_COLUMNS = (
    "seq",
    "recorded_at",
    "user_id",
    "printed_name",
    "role",
    "action",
    "entity",
    "entity_key",
    "field",
    "old_value",
    "new_value",
    "reason",
    "request_id",
)


def _audit(found: dict[type[models.Model], list[Any]], signature_ids: list[int]) -> Json:
    tables: list[tuple[str, list[str]]] = [
        (model._meta.db_table, [str(k) for k in keys]) for model, keys in found.items()
    ]
    tables.append((Signature._meta.db_table, [str(k) for k in signature_ids]))
    entries: list[Json] = []
    per_table: dict[str, int] = {}
    for table, keys in tables:
        for part in _chunks(keys):
            rows = list(
                AuditEntry.objects.filter(entity=table, entity_key__in=part).values(*AUDIT_COLUMNS)
            )
            if rows:
                per_table[table] = per_table.get(table, 0) + len(rows)
            for row in rows:
                row["recorded_at"] = moment(row["recorded_at"])
                row["after_first_entry"] = row["action"] != "INSERT"
            entries.extend(rows)
    entries.sort(key=lambda e: e["seq"])
    return {
        "total": len(entries),
        "changes_after_first_entry": sum(1 for e in entries if e["after_first_entry"]),
        "by_entity": dict(sorted(per_table.items())),
        "entries": entries,
    }


def journal_pages(batch: Batch) -> tuple[Json, list[Any]]:
    """The line journal's entries for the batch and the sealed pages that hold them."""
    span = MachineEvent.objects.filter(
        line_id=batch.line_id, batch_number=batch.batch_number
    ).aggregate(first=Min("sequence"), last=Max("sequence"))
    events = MachineEvent.objects.filter(
        line_id=batch.line_id, batch_number=batch.batch_number
    ).count()
    pages = (
        list(
            JournalPage.objects.filter(
                line_id=batch.line_id,
                first_sequence__lte=span["last"],
                last_sequence__gte=span["first"],
            ).order_by("first_sequence", "id")
        )
        if span["first"] is not None
        else []
    )
    return {
        "line_id": batch.line_id,
        "events": events,
        "first_sequence": span["first"],
        "last_sequence": span["last"],
        "pages": [
            {
                "first_sequence": p.first_sequence,
                "last_sequence": p.last_sequence,
                "count": p.count,
                "sha256": p.sha256,
                "stored_at": moment(p.stored_at),
            }
            for p in pages
        ],
    }, [p.pk for p in pages]


def collect(batch: Batch) -> Json:
    """The complete batch record of `batch` (schema: `batch-record.schema.json`)."""
    batch = Batch.objects.select_related(
        "product__molecule", "product__vial_format", "master_record__product", "ordered_by"
    ).get(pk=batch.pk)
    record = batch.master_record
    record = MasterRecord.objects.select_related("product", "author").get(pk=record.pk)
    found = linked_records(batch)
    journal, page_keys = journal_pages(batch)
    if page_keys:
        found[JournalPage] = page_keys
    signatures, steps = _signatures(found)
    first, last = batch_window(batch)
    number = batch.batch_number
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": moment(datetime.now(UTC)),
        "time_zone": settings.TIME_ZONE,
        "header": _header(batch),
        "states": _states(batch),
        "master_record": _master_record(record),
        "steps": steps,
        "signatures": signatures,
        "vials": vials_section(number, record, batch.product.fill_volume_ml),
        "environment": environment_section(batch, first, last),
        "alarms": alarms_section(number),
        "interventions": interventions_section(number),
        "deviations": _deviations(number, signatures),
        "data_gaps": gaps_section(number),
        "reconciliation": reconciliation_section(number, record),
        "qc": {"results": sources.qc_results(batch)},
        "release": {
            "decisions": sources.release_decisions(batch),
            "checklist": sources.release_checklist(batch),
        },
        "journal": journal,
        "audit_trail": _audit(found, [s["id"] for s in signatures]),
    }
