"""The batch record as a PDF (WeasyPrint, from `records/batch_record_pdf.html`) and as JSON.

Both come from `document.collect`; the PDF summarises the vials (counts, reject reasons,
fill statistics, chart) where the JSON carries every vial, and the EM readings (chart and
the readings above the alert limit) where the JSON carries every reading. French by
default (the app's catalogue in `records/locale`).
"""

from __future__ import annotations

import json
from importlib import resources

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from rempart.mes.batches.models import Batch
from rempart.mes.records import charts
from rempart.mes.records.document import collect
from rempart.mes.records.values import Json

SCHEMA_FILE = "batch-record.schema.json"


def schema() -> Json:
    """The JSON Schema (draft 2020-12) of the batch record, shipped in this package."""
    text = resources.files("rempart.mes.records").joinpath(SCHEMA_FILE).read_text("utf-8")
    loaded: Json = json.loads(text)
    return loaded


def as_json(batch: Batch) -> bytes:
    return json.dumps(collect(batch), ensure_ascii=False, indent=1).encode("utf-8")


def _meanings() -> dict[str, str]:
    return {
        "performed": pgettext("signature meaning", "performed"),
        "verified": pgettext("signature meaning", "verified"),
        "reviewed": pgettext("signature meaning", "reviewed"),
        "approved": pgettext("signature meaning", "approved"),
        "released": pgettext("signature meaning", "released"),
        "rejected": pgettext("signature meaning", "rejected"),
        "withdrawn": pgettext("signature meaning", "withdrawn"),
    }


def _statuses() -> dict[str, str]:
    return {
        "valid": _("valid"),
        "withdrawal": _("withdrawal"),
        "withdrawn": _("withdrawn"),
        "invalidated by a later change": _("invalidated by a later change"),
    }


def _column_labels() -> dict[str, str]:
    """Headings of the QC results and release decision tables (their rows' keys)."""
    return {
        "sample_id": _("Sample"),
        "test": _("Test"),
        "units": _("Units"),
        "specification_version": _("Specification"),
        "method": _("Method"),
        "limits": _("Limits"),
        "result": _("Result"),
        "unit": _("Unit"),
        "status": _("Status"),
        "analyst": _("Analyst"),
        "entered_at": _("Entered"),
        "zone": _("Zone"),
        "deviation": _("Deviation"),
        "record": _("Record"),
        "who": _("Printed name"),
        "role": _("Role"),
        "meaning": _("Meaning"),
        "when": _("Time (local, with zone)"),
        "signed_at": _("Signed"),
        "comment": _("Comment"),
    }


def _shown(signature: Json, meanings: dict[str, str], statuses: dict[str, str]) -> Json:
    return {
        **signature,
        "meaning_label": meanings.get(signature["meaning"], signature["meaning"]),
        "status_label": statuses.get(signature["status"], signature["status"]),
    }


def html(document: Json) -> str:
    """The PDF's HTML in the active language (charts drawn here, inline SVG)."""
    meanings, statuses = _meanings(), _statuses()
    signatures = [_shown(s, meanings, statuses) for s in document["signatures"]]
    master_signatures = [
        _shown(s, meanings, statuses) for s in document["master_record"]["signatures"]
    ]
    deviations = [
        {
            **d,
            "closure": _shown(d["closure_signature"], meanings, statuses)
            if d["closure_signature"]
            else None,
        }
        for d in document["deviations"]
    ]
    labels = _column_labels()
    qc_rows = document["qc"]["results"]
    qc_columns = list(dict.fromkeys(k for row in qc_rows for k in row))
    decisions = document["release"]["decisions"]
    decision_columns = list(dict.fromkeys(k for row in decisions for k in row))
    audit = document["audit_trail"]
    fill_chart = charts.fill_weight_svg(
        document["vials"]["ipc"],
        {
            "fill": _("fill weight deviation"),
            "alert": _("alert limit"),
            "action": _("action limit"),
            "x": _("vial sequence"),
            "y": _("deviation from target (%)"),
            "title": _("In-process control: fill weight"),
        },
    )
    particle_chart = charts.particles_svg(
        document["environment"],
        {
            "series_0_5um": "≥0.5 µm",
            "series_5um": "≥5 µm",
            "alert": _("alert limit"),
            "action": _("action limit (Annex 1)"),
            "y_0_5um": _("≥0.5 µm per m³"),
            "y_5um": _("≥5 µm per m³"),
            "x": _("time (UTC)"),
            "title": _("Grade A particle counts during the batch"),
        },
    )
    excursions = [r for r in document["environment"]["readings"] if r["level"] != "ok"]
    return render_to_string(
        "records/batch_record_pdf.html",
        {
            "d": document,
            "signatures": signatures,
            "master_signatures": master_signatures,
            "deviations": deviations,
            "qc_columns": [labels.get(c, c) for c in qc_columns],
            "qc_rows": [[row.get(c, "") for c in qc_columns] for row in qc_rows],
            "decision_columns": [labels.get(c, c) for c in decision_columns],
            "decision_rows": [[row.get(c, "") for c in decision_columns] for row in decisions],
            "audit_entries": audit["entries"],
            "fill_chart": fill_chart,
            "particle_chart": particle_chart,
            "excursions": excursions,
            "of": pgettext("page X of Y", "of"),
        },
    )


def pdf_from_document(document: Json, language: str = "fr") -> bytes:
    """The PDF of an already collected document (benchmarks time the two parts apart)."""
    from weasyprint import HTML

    with translation.override(language):
        text = html(document)
    pdf: bytes = HTML(string=text).write_pdf()
    return pdf


def as_pdf(batch: Batch, language: str = "fr") -> bytes:
    """The batch record PDF of `batch` in `language` (fr or en)."""
    return pdf_from_document(collect(batch), language)
