"""The batch record document of a sample batch: the PDF read back with pypdf holds every
signature and every audit entry, the JSON validates against the shipped schema and holds
every vial and entry; a batch with no machine data still renders."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import jsonschema
import pypdf
import pytest

from rempart.domain.signatures import Meaning
from rempart.mes.audit.models import AuditEntry
from rempart.mes.batches.models import Batch, LineClearance
from rempart.mes.machine.models import MachineEvent, VialRecord
from rempart.mes.qc import facts
from rempart.mes.records import render
from rempart.mes.records.document import collect
from rempart.mes.signatures.models import Signature

FRENCH_MEANINGS = {
    "performed": "réalisé",
    "verified": "vérifié",
    "approved": "approuvé",
    "reviewed": "revu",
}


_NOT_PREPARATION = {"batches.lineclearance", "quality.deviation", "release.audittrailreview"}


def pdf_text(pdf: bytes) -> tuple[str, int]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def flat(text: str) -> str:
    """Table cells wrap: compare without any white space."""
    return re.sub(r"\s+", "", text)


def validate(document: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(
        render.schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_the_pdf_holds_every_signature_and_every_audit_entry(sample_batch: Batch) -> None:
    document = collect(sample_batch)
    text, pages = pdf_text(render.as_pdf(sample_batch))
    flat_text = flat(text)

    # Signatures: the clearance (performed, verified, both invalidated by the later
    # correction) and the deviation's closure by QA (approved, valid).
    signatures = document["signatures"]
    by_entity: dict[str, list[tuple[str, bool]]] = {}
    for s in signatures:
        by_entity.setdefault(s["entity"], []).append((s["meaning"], s["valid"]))
    assert by_entity.pop("batches.lineclearance") == [("performed", False), ("verified", False)]
    assert by_entity.pop("quality.deviation") == [("approved", True)]
    assert by_entity.pop("release.audittrailreview") == [("reviewed", True)]
    # What remains is the compounding sheet: five steps, each performed and verified.
    [(preparation, steps)] = by_entity.items()
    assert sorted(steps) == [("performed", True)] * 5 + [("verified", True)] * 5, preparation
    for signature in signatures:
        row = flat(
            f"{signature['printed_name']} {signature['role']} "
            f"{FRENCH_MEANINGS[signature['meaning']]} {signature['signed_at']['local']}"
        )
        assert row in flat_text, signature
    assert flat("invalidée par une modification ultérieure") in flat_text
    assert "UTC+01:00 (Europe/Paris)" in text

    # Every audit entry of the batch's records is listed by its number.
    entries = document["audit_trail"]["entries"]
    assert len(entries) > 100
    for entry in entries:
        assert f"#{entry['seq']}" in flat_text, entry
    changed = [e for e in entries if e["after_first_entry"]]
    assert {(e["entity"], e["field"]) for e in changed} >= {
        ("batches_lineclearance", "checks"),
        ("quality_deviation", "status"),
        ("machine_datagap", "resolution"),
    }
    assert flat_text.count("MODIFIÉAPRÈSPREMIÈRESAISIE") == len(changed)
    assert flat("vide; étiquettes retirées") in flat_text
    # The journal's sealed pages, with their digests.
    journal = document["journal"]
    assert journal["events"] == MachineEvent.objects.filter(batch_number="REC-001").count()
    assert journal["pages"]
    for page in journal["pages"]:
        assert page["sha256"] in flat_text

    # Header on every page, "page X sur Y", French labels, both charts drawn.
    assert text.count("Dossier de lot REC-001 — CISA-2-10") >= pages
    assert f"page {pages} sur {pages}" in text
    for heading in ("Étapes", "Contrôles en cours de fabrication", "Déviations", "Réconciliation"):
        assert heading in text
    assert "CAPA-2026-007" in text
    html = render.html(document)
    assert html.count('src="data:image/svg+xml;base64,') == 2


def test_the_json_validates_and_holds_every_vial_and_every_entry(sample_batch: Batch) -> None:
    document = json.loads(render.as_json(sample_batch))
    validate(document)
    vials = VialRecord.objects.filter(batch_number="REC-001")
    assert [v["vial_sequence"] for v in document["vials"]["records"]] == list(
        vials.values_list("vial_sequence", flat=True)
    )
    entries = document["audit_trail"]["entries"]
    listed = {e["seq"] for e in entries}
    # Against the QC side's own list of the batch's records (qc.facts.batch_rows): every
    # audit entry of every one of them is in the document.
    for model, rows in facts.batch_rows(sample_batch).items():
        expected = AuditEntry.objects.filter(
            entity=model._meta.db_table, entity_key__in=[str(r.pk) for r in rows]
        ).values_list("seq", flat=True)
        assert set(expected) <= listed, model
    pages = AuditEntry.objects.filter(entity="machine_journalpage").values_list("seq", flat=True)
    assert set(pages) <= listed  # the sample's journal holds only this batch
    clearance = LineClearance.objects.get(batch__batch_number="REC-001")
    assert set(
        AuditEntry.objects.filter(
            entity="batches_lineclearance", entity_key=str(clearance.pk)
        ).values_list("seq", flat=True)
    ) <= {e["seq"] for e in entries}
    signature_keys = [str(k) for k in Signature.objects.values_list("pk", flat=True)]
    batch_signature_entries = AuditEntry.objects.filter(
        entity="signatures_signature",
        entity_key__in=[str(s["id"]) for s in document["signatures"]],
    ).count()
    assert batch_signature_entries > 0
    assert len(signature_keys) > len(document["signatures"])  # the master record's are apart
    assert document["audit_trail"]["total"] == len(entries) == len(listed)
    [deviation] = document["deviations"]
    assert deviation["status"] == "closed"
    assert deviation["closure_signature"]["meaning"] == Meaning.APPROVED
    assert deviation["closure_signature"]["valid"] is True
    assert document["environment"]["summary"]["levels"]["action"] == 1
    assert document["reconciliation"]["balanced"] is True
    [clearance_step] = [s for s in document["steps"] if s["entity"] == "batches.lineclearance"]
    assert clearance_step["performed_by"] == "Tech Test (invalidated by a later change)"
    assert clearance_step["verified_by"] == "Pharma Test (invalidated by a later change)"
    preparation = [s for s in document["steps"] if s["entity"] not in _NOT_PREPARATION]
    assert len(preparation) == 5
    assert {(s["performed_by"], s["verified_by"]) for s in preparation} == {
        ("Tech Test", "Pharma Test")
    }
    assert [s["target"] for s in document["states"]] == [
        "planned",
        "scheduled",
        "line_clearance",
        "filling",
        "filled",
        "quarantine",
        "under_review",
    ]


def test_a_schema_violation_is_caught(sample_batch: Batch) -> None:
    """The schema is not a formality: a signature without its meaning, a time without its
    zone, an audit entry without its mark are refused."""
    document = json.loads(render.as_json(sample_batch))
    validate(document)
    for path, value in (
        (("signatures", 0, "meaning"), "signed"),
        (("signatures", 0, "signed_at", "local"), "2026-01-05 09:00:00"),
        (("header", "quantity_vials"), 0),
    ):
        broken = json.loads(json.dumps(document))
        target = broken
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(AssertionError):
            validate(broken)
    broken = json.loads(json.dumps(document))
    del broken["audit_trail"]["entries"][0]["after_first_entry"]
    with pytest.raises(AssertionError):
        validate(broken)


def test_a_batch_with_no_machine_data_still_renders(bare_batch: Batch) -> None:
    document = collect(bare_batch)
    validate(json.loads(json.dumps(document)))
    assert document["vials"]["records"] == []
    assert document["environment"]["readings"] == []
    assert document["reconciliation"] is None
    text, pages = pdf_text(render.as_pdf(bare_batch))
    assert "Dossier de lot REC-BARE" in text
    assert "Aucun enregistrement de flacon reçu de la ligne." in text
    assert flat("Pas encore de réconciliation") in flat(text)
    assert f"page 1 sur {pages}" in text


def test_english_on_request(bare_batch: Batch) -> None:
    text, _ = pdf_text(render.as_pdf(bare_batch, "en"))
    assert "Batch record REC-BARE" in text
    assert "No vial record from the line." in text


def test_qc_results_and_release_come_from_the_qc_facts(sample_batch: Batch) -> None:
    document = collect(sample_batch)
    rows = facts.qc_results_table(sample_batch)
    assert rows, "the batch end created QC samples and every result was entered"
    assert document["qc"]["results"] == rows
    assert any(r["result"] for r in rows)
    [review] = document["release"]["decisions"]
    assert (review["record"], review["who"], review["meaning"]) == (
        "audit trail review",
        "Qa Test",
        "reviewed",
    )
    assert [c["code"] for c in document["release"]["checklist"]] == [
        str(b.code) for b in facts.release_checklist(sample_batch)
    ]
    assert "signature_invalidated" in [c["code"] for c in document["release"]["checklist"]]
    # The review's signature is one of the batch's signatures, its rows in the audit trail.
    assert ("Qa Test", "reviewed", True) in [
        (s["printed_name"], s["meaning"], s["valid"]) for s in document["signatures"]
    ]
    entities = set(document["audit_trail"]["by_entity"])
    assert {"qc_qcsample", "qc_qcresult", "release_audittrailreview"} <= entities
    text = flat(pdf_text(render.as_pdf(sample_batch))[0])
    for row in rows:
        assert flat(row["sample_id"]) in text
    assert flat("signatures were invalidated by later changes") in text
