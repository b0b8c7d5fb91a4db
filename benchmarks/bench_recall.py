"""Recall of a lot with 8,000 vials shipped to the 17 hospitals of Hauts-de-France.

Target (issue 9): the recall shows its list (every hospital, its quantity and serials) in
under 1 s. Measured in a fresh subprocess on a fresh SQLite database, audit triggers on:
the lot is released through the real service (its 8,000 accepted serials enter central
stock), the 17 dispatches and receipts are written with bulk_create inside
`audited_write` (fast, still captured by the triggers), then the recall is opened with the
real service and its page and API answer are timed (five reads each, after one untimed
warm-up request that imports the URL configuration and loads the templates).
`--quick` uses 2,000 vials.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PROBE = r"""
import json, statistics, sys, time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from rempart.domain.lot import LotStatus
from rempart.domain.region import HAUTS_DE_FRANCE
from rempart.domain.stock import format_ranges, parse_ranges, take_first, subtract
from rempart.mes.accounts.models import User
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.catalog.models import Hospital, MasterRecord, Molecule, Product, Site, VialFormat
from rempart.mes.machine.models import VialRecord
from rempart.mes.stock import ledger, recall
from rempart.mes.stock.lots import move_lot, open_quarantine_lot
from rempart.mes.stock.models import Dispatch, DispatchLine, Movement, Order, OrderLine

VIALS = int(sys.argv[1])
actor = Actor.system("bench")
moment = datetime(2026, 1, 5, 8, tzinfo=UTC)
with audited_write(actor):
    hospitals = []
    for h in HAUTS_DE_FRANCE:
        hospital = Hospital.objects.create(
            code=h.code, name=h.name, town=h.town, department=h.department
        )
        Site.objects.create(hospital=hospital, code=f"{h.code}-PUI", name=f"PUI {h.name}")
        hospitals.append((hospital, h.icu_beds_assumed))
    qa = User(username="qa", printed_name="QA Bench", role="qa_reviewer")
    qa.set_password("Bench-password-2026")
    qa.save()
    orderer = User(username="o", printed_name="O", role="orderer", hospital=hospitals[0][0])
    orderer.save()
    molecule = Molecule.objects.create(inn="rocuronium", atc="M03AC09", mitm=True)
    vial = VialFormat.objects.create(code="V10", nominal_volume_ml=Decimal("10"))
    product = Product.objects.create(
        code="ROCU-10-10", name="Rocuronium 10 mg/mL", molecule=molecule,
        concentration_mg_per_ml=Decimal("10"), fill_volume_ml=Decimal("10.5"), vial_format=vial,
        storage="2-8 °C", shelf_life_days=180, regulatory_status="hospital_preparation",
    )
    record = MasterRecord.objects.create(
        product=product, version=1, state="approved", author=qa, batch_size_vials=VIALS,
        dead_volume_ml=Decimal("150"), line_losses_ml=Decimal("50"), diluent="EPPI",
        fill_weight_alert_pct=Decimal("2"), fill_weight_action_pct=Decimal("4"),
        ipc_every_vials=100, endotoxin_units=3, retention_units=10, batch_duration_h=Decimal("14"),
        envelope_max_batch_vials=20000, envelope_max_duration_h=Decimal("24"),
        envelope_media_fill_date=date(2026, 9, 1),
    )
    batch = Batch.objects.create(
        batch_number="BENCH-001", master_record=record, product=product, quantity_vials=VIALS,
        planned_start=moment, state="released", ordered_by=qa,
    )
# the line's vial records: every 25th rejected, so accepted serials come in many ranges
issued = VIALS + VIALS // 24 + 1
rows = [
    VialRecord(batch_number="BENCH-001", vial_sequence=s, line_id="LINE-1", event_sequence=s,
               processed_at=moment, terminal_state="rejected" if s % 25 == 0 else "accepted")
    for s in range(1, issued + 1)
]
accepted = [r for r in rows if r.terminal_state == "accepted"][:VIALS]
last = accepted[-1].vial_sequence
VialRecord.objects.bulk_create([r for r in rows if r.vial_sequence <= last])
lot = open_quarantine_lot(
    actor, batch, quantity_vials=VIALS, fill_date=date.today() - timedelta(days=20),
    expected_release_date=None,
)
lot = move_lot(actor, lot, LotStatus.RELEASED, expiry_date=date.today() + timedelta(days=150))

central = ledger.fixed_location(ledger.CENTRAL)
bay = ledger.fixed_location(ledger.BAY)
transit = ledger.fixed_location(ledger.TRANSIT)
left = parse_ranges(Movement.objects.get(lot=lot).serials)
total_beds = sum(b for _, b in hospitals)
shares = [VIALS * b // total_beds for _, b in hospitals]
shares[0] += VIALS - sum(shares)
started = time.perf_counter()
with audited_write(actor, reason="bench distribution"):
    for (hospital, _), share in zip(hospitals, shares):
        here = ledger.hospital_location(hospital)
        order = Order.objects.create(hospital=hospital, placed_by=orderer, status="received")
        line = OrderLine.objects.create(
            order=order, product=product, quantity_requested=share, quantity_allocated=share
        )
        dispatch = Dispatch.objects.create(
            order=order, hospital=hospital, status="received", picked_by="bench"
        )
        serials = take_first(left, share)
        left = subtract(left, serials)
        text = format_ranges(serials)
        DispatchLine.objects.bulk_create([DispatchLine(
            dispatch=dispatch, order_line=line, lot=lot, quantity=share, serials=text
        )])
        Movement.objects.bulk_create([
            Movement(
                lot=lot, kind=kind, source=src, target=dst, quantity=share, serials=text,
                dispatch=dispatch, actor="bench",
            )
            for kind, src, dst in (
                ("pick", central, bay), ("dispatch", bay, transit),
                ("hospital_receipt", transit, here),
            )
        ])
built_s = time.perf_counter() - started
problems = ledger.check_ledger()

# warm-up, not timed: the URL configuration imports every app (and the batch services the
# OPC UA client), and the first request loads templates and translations
import rempart.mes.batches.services, rempart.mes.urls  # noqa: E401
client = Client(SERVER_NAME="localhost")
client.force_login(qa)
assert client.get("/stock/recalls/").status_code == 200
started = time.perf_counter()
opened = recall.open_recall(qa, lot, "bench: sterility failure")
open_s = time.perf_counter() - started

page_s, api_s, view_s = [], [], []
for _ in range(5):
    t = time.perf_counter()
    view = recall.recall_view(opened, qa)
    view_s.append(time.perf_counter() - t)
    t = time.perf_counter()
    response = client.get(f"/stock/recalls/{opened.pk}/")
    page_s.append(time.perf_counter() - t)
    assert response.status_code == 200, response.status_code
    t = time.perf_counter()
    answer = client.get(f"/api/recalls/{lot.lot_number}")
    api_s.append(time.perf_counter() - t)
    assert answer.status_code == 200, answer.status_code
body = answer.json()
print(json.dumps({
    "vials": VIALS, "hospitals": len(body["hospitals"]),
    "listed_vials": sum(h["dispatched"] for h in body["hospitals"]),
    "serial_ranges": sum(len(parse_ranges(h["serials"])) for h in body["hospitals"]),
    "ledger_problems": problems, "distribution_build_s": built_s, "open_recall_s": open_s,
    "recall_view_median_s": statistics.median(view_s), "page_median_s": statistics.median(page_s),
    "page_max_s": max(page_s), "api_median_s": statistics.median(api_s),
    "page_bytes": len(response.content),
}))
"""


def _measure(database_url: str, vials: int) -> dict[str, Any]:
    env = {**os.environ, "REMPART_DATABASE_URL": database_url, "REMPART_ENV": "development"}
    env["DJANGO_SETTINGS_MODULE"] = "rempart.mes.settings"
    env["REMPART_ALLOWED_HOSTS"] = "localhost"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(vials)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    for key, value in list(measured.items()):
        if key.endswith("_s"):
            measured[key] = round(value, 4)
    return measured


def run(args: argparse.Namespace) -> dict[str, Any]:
    vials = 2000 if getattr(args, "quick", False) else 8000
    with tempfile.TemporaryDirectory() as folder:
        sqlite = _measure(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", vials)
    print(
        f"   recall list of {sqlite['vials']} vials over {sqlite['hospitals']} hospitals: "
        f"page {sqlite['page_median_s'] * 1000:.0f} ms (median), API "
        f"{sqlite['api_median_s'] * 1000:.0f} ms, opening the recall "
        f"{sqlite['open_recall_s'] * 1000:.0f} ms",
        flush=True,
    )
    result: dict[str, Any] = {
        "target_s": 1.0,
        "sqlite": sqlite,
        "meets_target": sqlite["page_max_s"] < 1.0 and sqlite["api_median_s"] < 1.0,
        "cores": os.cpu_count(),
    }
    postgres = os.environ.get("REMPART_BENCH_POSTGRES_URL")
    if postgres:
        result["postgresql"] = _measure(postgres, vials)
    else:
        result["postgresql"] = "not measured: set REMPART_BENCH_POSTGRES_URL to an empty db"
    return result
