"""The batch record document of a sample batch: the PDF read back with pypdf holds every
signature and every audit entry, the JSON validates against the shipped schema and holds
every vial and entry; a batch with no machine data still renders."""

from __future__ import annotations

import importlib
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
from rempart.mes.records import render, sources
from rempart.mes.records.document import collect
from rempart.mes.signatures.models import Signature

FRENCH_MEANINGS = {"performed": "réalisé", "verified": "vérifié", "approved": "approuvé"}


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
    document = collect(sample_batch, journal_entries=False)
    text, pages = pdf_text(render.as_pdf(sample_batch))
    flat_text = flat(text)

    # Signatures: the clearance (performed, verified, both invalidated by the later
    # correction) and the deviation's closure by QA (approved, valid).
    signatures = document["signatures"]
    assert [(s["meaning"], s["valid"]) for s in signatures] == [
        ("performed", False),
        ("verified", False),
        ("approved", True),
    ]
    for signature in signatures:
        row = flat(
            f"{signature['printed_name']} {signature['role']} "
            f"{FRENCH_MEANINGS[signature['meaning']]} {signature['signed_at']['local']}"
        )
        assert row in flat_text, signature
    assert flat("invalidée par une modification ultérieure") in flat_text
    assert "UTC+01:00 (Europe/Paris)" in text

    # Every audit entry of the batch's records but the line journal's is listed by number;
    # the journal's are counted.
    listed = [e for e in document["audit_trail"]["entries"] if not e["journal"]]
    assert len(listed) > 50
    for entry in listed:
        assert f"#{entry['seq']}" in flat_text, entry
    changed = [e for e in listed if e["after_first_entry"]]
    assert {(e["entity"], e["field"]) for e in changed} >= {
        ("batches_lineclearance", "checks"),
        ("quality_deviation", "status"),
        ("machine_datagap", "resolution"),
    }
    assert flat_text.count("MODIFIÉAPRÈSPREMIÈRESAISIE") == len(changed)
    assert flat("vide; étiquettes retirées") in flat_text
    journal = document["audit_trail"]["machine_journal"]
    events = MachineEvent.objects.filter(batch_number="REC-001").values_list("pk", flat=True)
    assert journal["events"] == len(events)
    assert (
        journal["entries"]
        == AuditEntry.objects.filter(
            entity="machine_machineevent", entity_key__in=[str(k) for k in events]
        ).count()
    )
    assert flat(f"compte {journal['entries']} entrées d'audit") in flat_text

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
    events = [
        str(k)
        for k in MachineEvent.objects.filter(batch_number="REC-001").values_list("pk", flat=True)
    ]
    expected = AuditEntry.objects.filter(
        entity="machine_machineevent", entity_key__in=events
    ).count()
    entries = document["audit_trail"]["entries"]
    assert sum(1 for e in entries if e["journal"]) == expected > 0
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
    assert document["audit_trail"]["listed"] == document["audit_trail"]["total"] == len(entries)
    [deviation] = document["deviations"]
    assert deviation["status"] == "closed"
    assert deviation["closure_signature"]["meaning"] == Meaning.APPROVED
    assert deviation["closure_signature"]["valid"] is True
    assert document["environment"]["summary"]["levels"]["action"] == 1
    assert document["reconciliation"]["balanced"] is True
    assert document["steps"][0]["performed_by"] == "Tech Test (invalidated by a later change)"
    assert [s["target"] for s in document["states"]] == [
        "planned",
        "scheduled",
        "line_clearance",
        "filling",
        "filled",
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


def test_qc_and_release_sections_follow_the_qc_facts_module(sample_batch: Batch) -> None:
    document = collect(sample_batch)
    available, rows = sources.qc_results(sample_batch)
    assert document["qc"] == {"available": available, "results": rows}
    try:
        facts = importlib.import_module("rempart.mes.qc.facts")
    except ModuleNotFoundError:
        assert available is False
        return
    if hasattr(facts, "qc_results_table"):
        assert available is True
        assert rows == [
            {k: str(v) for k, v in row.items()} for row in facts.qc_results_table(sample_batch)
        ]
    if hasattr(facts, "release_checklist"):
        assert document["release"]["checklist_available"] is True
        codes = [b.code for b in facts.release_checklist(sample_batch)]
        assert [c["code"] for c in document["release"]["checklist"]] == [str(c) for c in codes]
