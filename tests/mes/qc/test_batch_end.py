"""The line ends a batch (real ingestion of the twin's journal): FILLED → QUARANTINE, the
sampling plan's labelled samples, the lot in quarantine with its expected release date;
a replayed end of batch changes nothing."""

from __future__ import annotations

from datetime import date

from rempart.mes.machine.models import Reconciliation
from rempart.mes.machine.services import ingest_machine_events
from rempart.mes.qc.models import QcSample
from rempart.mes.stock.models import Lot, LotEvent
from tests.mes.conftest import World

from .factories import QUANTITY, ended_batch, journal, line_of, specifications


def test_batch_end_takes_the_samples_and_quarantines_the_lot(world: World) -> None:
    specifications(world.users["qc"], world.product)
    batch = ended_batch(world, "QC-END-1")
    assert batch.state == "quarantine"
    assert list(batch.events.values_list("target", flat=True))[-2:] == ["filled", "quarantine"]
    samples = {s.kind: s for s in QcSample.objects.filter(batch=batch)}
    # 30 vials: sterility max(4, 10 %) = 4; the rest from the master record's plan.
    assert {k: (s.sample_id, s.units, s.status) for k, s in samples.items()} == {
        "sterility": ("QC-END-1-STE", 4, "taken"),
        "endotoxins": ("QC-END-1-END", 3, "taken"),
        "visual_inspection": ("QC-END-1-VIS", 20, "taken"),
        "assay": ("QC-END-1-ASY", 2, "taken"),
        "retention": ("QC-END-1-RET", 10, "retained"),
    }
    assert samples["sterility"].incubation_days == 14
    lot = Lot.objects.get(batch=batch)
    assert lot.status == "quarantine"
    assert lot.fill_date == date(2026, 1, 5)
    # Longest lead time: product 15 days (> 14 days' incubation and the specifications').
    assert lot.expected_release_date == date(2026, 1, 20)
    rec = Reconciliation.objects.get(batch_number="QC-END-1")
    assert 0 < rec.accepted <= QUANTITY
    # Destructive samples: 4 + 3 + 2 + 10 = 19 (the visual-inspection sample returns); the
    # line already set some aside as QC samples, the rest leave the accepted vials.
    assert lot.quantity_vials == rec.accepted - max(0, 19 - rec.qc_samples)

    before = (QcSample.objects.count(), LotEvent.objects.count(), batch.events.count())
    assert ingest_machine_events(line_of("QC-END-1"), journal("QC-END-1")).stored == 0
    batch.refresh_from_db()
    assert (QcSample.objects.count(), LotEvent.objects.count(), batch.events.count()) == before


def test_demo_specifications_are_loaded_once(world: World) -> None:
    from rempart.mes.audit.context import Actor
    from rempart.mes.qc.demo import load_specifications
    from rempart.mes.qc.models import Specification

    assert load_specifications(Actor.system("load-demo")) == 4
    assert load_specifications(Actor.system("load-demo")) == 0
    spec = Specification.objects.get(product=world.product, test="assay")
    assert spec.limits_text == "95–105 % label claim"
