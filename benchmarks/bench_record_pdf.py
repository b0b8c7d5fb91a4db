"""The batch record document of an 8,000-vial batch: `collect()` and the PDF.

Target (issue 8): the PDF in under 10 s for an 8,000-vial batch. The journal is the
`crisis-24h` scenario with its plan replaced by one batch of 8,000 vials of CISA-2-10 (the
twin, seeded); it is ingested into a fresh SQLite database with the audit trail on, after
the batch order, its line clearance (performed and verified, signed) exist. Then, in the
same process: `collect(batch)` (every vial, reading and audit entry), the JSON export, the
HTML with its charts, WeasyPrint's layout and PDF, and `as_pdf` end to end. Wall and CPU
seconds are both reported: the machine is shared.
`--quick` runs 2 hours of the scenario (about 700 vials).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

QUANTITY = 8000

PROBE = r"""
import io, json, sys, time
from collections import Counter
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from datetime import UTC, date, datetime
from decimal import Decimal
from django.utils import translation
from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import User
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch, BatchEvent, LineClearance
from rempart.mes.catalog.models import MasterRecord, Molecule, Product, VialFormat
from rempart.mes.machine.services import ingest_all
from rempart.mes.records import render
from rempart.mes.records.document import collect
from rempart.mes.signatures.services import write_signature

entries = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
number = Counter(e.get("batch_id") for e in entries if e.get("batch_id")).most_common(1)[0][0]
with audited_write(Actor.system("bench"), reason="benchmark set-up"):
    people = [
        User.objects.create(username=u, printed_name=n, role=r, totp_secret="")
        for u, n, r in (("tech", "Camille Martin", "technician"),
                        ("pharma", "Dominique Bernard", "pharmacist"))
    ]
    molecule = Molecule.objects.create(inn="cisatracurium", atc="M03AC11", mitm=True)
    fmt = VialFormat.objects.create(code="V10", nominal_volume_ml=Decimal("10"))
    product = Product.objects.create(
        code="CISA-2-10", name="Cisatracurium 2 mg/mL, 10 mL", molecule=molecule,
        concentration_mg_per_ml=Decimal("2"), fill_volume_ml=Decimal("10.5"), vial_format=fmt,
        storage="2-8 °C", shelf_life_days=180, regulatory_status="hospital_preparation")
    record = MasterRecord.objects.create(
        product=product, version=1, state="approved", author=people[1],
        batch_size_vials=8000, dead_volume_ml=Decimal("150"), line_losses_ml=Decimal("50"),
        diluent="eau pour préparations injectables", fill_weight_alert_pct=Decimal("2"),
        fill_weight_action_pct=Decimal("4"), ipc_every_vials=100, endotoxin_units=3,
        retention_units=10, batch_duration_h=Decimal("16"), envelope_max_batch_vials=10000,
        envelope_max_duration_h=Decimal("24"), envelope_media_fill_date=date(2026, 1, 1))
    batch = Batch.objects.create(
        batch_number=number, master_record=record, product=product, quantity_vials=8000,
        planned_start=datetime(2026, 1, 5, tzinfo=UTC), state="filling", ordered_by=people[0])
    BatchEvent.objects.create(batch=batch, target="planned", actor="Camille Martin")
    clearance = LineClearance.objects.create(batch=batch, checks="ligne vide")
write_signature(people[0], clearance, Meaning.PERFORMED, comment="line clearance")
write_signature(people[1], clearance, Meaning.VERIFIED, comment="line clearance")
started = time.perf_counter()
ingest_all(entries[0]["line"], entries)
ingest_s = time.perf_counter() - started

def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, round(time.perf_counter() - wall, 3), round(time.process_time() - cpu, 3)

full, full_wall, full_cpu = timed(lambda: collect(batch))
js, json_wall, json_cpu = timed(lambda: render.as_json(batch))
doc = full
with translation.override("fr"):
    html, html_wall, html_cpu = timed(lambda: render.html(doc))
from weasyprint import HTML
pdf_doc, layout_wall, layout_cpu = timed(lambda: HTML(string=html).render())
pdf, write_wall, write_cpu = timed(lambda: pdf_doc.write_pdf())
whole, whole_wall, whole_cpu = timed(lambda: render.as_pdf(batch))
print(json.dumps({
    "batch_number": number, "journal_entries": len(entries), "ingest_s": round(ingest_s, 3),
    "vials": len(full["vials"]["records"]), "audit_entries": full["audit_trail"]["total"],
    "journal_pages": len(full["journal"]["pages"]),
    "signatures": len(full["signatures"]), "deviations": len(full["deviations"]),
    "alarms": len(full["alarms"]), "interventions": len(full["interventions"]),
    "particle_readings": full["environment"]["summary"]["readings"],
    "collect": {"wall_s": full_wall, "cpu_s": full_cpu},
    "json_export": {"wall_s": json_wall, "cpu_s": json_cpu, "bytes": len(js)},
    "html_and_charts": {"wall_s": html_wall, "cpu_s": html_cpu},
    "weasyprint_layout": {"wall_s": layout_wall, "cpu_s": layout_cpu},
    "weasyprint_write": {"wall_s": write_wall, "cpu_s": write_cpu},
    "pdf_pages": len(pdf_doc.pages), "pdf_bytes": len(whole),
    "pdf_end_to_end": {"wall_s": whole_wall, "cpu_s": whole_cpu},
}))
"""


def _scenario(folder: Path, hours: float | None) -> Path:
    """crisis-24h with its plan replaced by one batch of QUANTITY vials, not repeated."""
    text = (
        resources.files("rempart.twin")
        .joinpath("scenarios/crisis-24h.toml")
        .read_text(encoding="utf-8")
    )
    head = text[: text.index("[[batches]]")]
    head = re.sub(r"repeat\s*=\s*true", "repeat = false", head)
    head = head.replace('name = "crisis-24h"', 'name = "crisis-24h-one-batch"')
    path = folder / "crisis-24h-one-batch.toml"
    path.write_text(
        head + f'[[batches]]\nproduct = "CISA-2-10"\nquantity = {QUANTITY}\n', encoding="utf-8"
    )
    return path


def _journal(path: Path, scenario: Path, hours: float | None) -> int:
    from rempart.twin.runner import run_scenario
    from rempart.twin.scenario import load_scenario

    result = run_scenario(load_scenario(scenario), hours=hours)
    journal = result.line.journal
    with path.open("w", encoding="utf-8") as out:
        for entry in journal.read(1, len(journal)):
            out.write(entry.to_json() + "\n")
    return len(journal)


def run(args: argparse.Namespace) -> dict[str, Any]:
    hours = 2.0 if getattr(args, "quick", False) else None
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        journal = base / "journal.jsonl"
        entries = _journal(journal, _scenario(base, hours), hours)
        env = {
            **os.environ,
            "REMPART_DATABASE_URL": f"sqlite:///{base / 'bench.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "rempart.mes.settings",
        }
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(journal)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
        measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    pdf_s = measured["pdf_end_to_end"]["wall_s"]
    print(
        f"   {measured['vials']} vials, {measured['pdf_pages']} pages: PDF {pdf_s} s wall, "
        f"{measured['pdf_end_to_end']['cpu_s']} s CPU",
        flush=True,
    )
    return {
        "scenario": "crisis-24h, plan replaced by one batch of 8,000 vials of CISA-2-10",
        "hours": hours or 24,
        "journal_entries": entries,
        "target_pdf_s": 10,
        "meets_target": pdf_s < 10,
        "load_average": os.getloadavg()[0],
        **measured,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
