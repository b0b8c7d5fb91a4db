"""One record of every batch-execution GMP model, for the audit-capture tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from rempart.domain.signatures import Meaning
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import (
    Batch,
    BatchEvent,
    ComponentLot,
    Decontamination,
    FormatPartsSet,
    LineClearance,
    PreparationStep,
)
from rempart.mes.machine.models import (
    Alarm,
    DataGap,
    Intervention,
    MachineEvent,
    Reconciliation,
)
from rempart.mes.quality.models import Deviation, DeviationBatch
from rempart.mes.signatures.services import write_signature
from tests.mes.conftest import World

MOMENT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def batch_records(world: World) -> None:
    with audited_write(Actor.system("tests")):
        batches = [
            Batch.objects.create(
                batch_number=number,
                master_record=world.record,
                product=world.product,
                quantity_vials=100,
                planned_start=MOMENT,
                ordered_by=world.users["technician"],
            )
            for number in ("AC-001", "AC-002")
        ]
        BatchEvent.objects.create(batch=batches[0], target="planned", actor="tests")
        LineClearance.objects.create(batch=batches[0], checks="no previous material")
        deviation = Deviation.objects.create(
            title="t", description="d", source="manual", opened_by="tests"
        )
        DeviationBatch.objects.create(deviation=deviation, batch_number="AC-001")
        MachineEvent.objects.create(
            line_id="LINE-1", sequence=1, kind="state_changed", timestamp=MOMENT, data={}
        )
        Alarm.objects.create(
            line_id="LINE-1",
            alarm_id="AL1",
            code="cap_jam",
            station="capping",
            severity="fault",
            raised_at=MOMENT,
        )
        Intervention.objects.create(
            line_id="LINE-1", intervention_id="IV1", type="inherent", name="x", started_at=MOMENT
        )
        Reconciliation.objects.create(
            batch_number="AC-001",
            reason="quantity_reached",
            vials_issued=1,
            accepted=1,
            rejected=0,
            qc_samples=0,
            destroyed=0,
            vial_records=1,
            balanced=True,
            ended_at=MOMENT,
        )
        DataGap.objects.create(line_id="LINE-1", first_sequence=5, last_sequence=6)
        for n in (1, 2):
            Decontamination.objects.create(
                cycle_id=f"VHP-AC-{n}", done_at=MOMENT, valid_until=MOMENT + timedelta(days=3)
            )
            FormatPartsSet.objects.create(
                set_code=f"FP-AC-{n}",
                vial_format=world.product.vial_format,
                cleaned_at=MOMENT,
                sterilised_at=MOMENT,
                sterilisation_cycle=f"AC-{n}",
                valid_until=MOMENT + timedelta(days=10),
            )
        for batch, step, position in ((batches[0], "api", 1), (batches[1], "api", 1)):
            record = PreparationStep.objects.create(
                batch=batch, step=step, position=position, comment="ok"
            )
            ComponentLot.objects.create(
                batch=batch,
                step=record,
                role=step,
                item_code="API-M03AC09",
                lot_number=f"L-{batch.batch_number}",
                expiry=date(2027, 1, 1),
            )
        # A step with no component lot (compounding), for ComponentLot's unique clone.
        PreparationStep.objects.create(batch=batches[0], step="compounding", position=3)


def free_batch_id(obj: LineClearance) -> None:
    obj.batch = Batch.objects.filter(clearance__isnull=True).first()  # type: ignore[assignment]


def line_ready(world: World, now: datetime | None = None) -> tuple[Decontamination, FormatPartsSet]:
    """A verified decontamination of LINE-1 and format parts for the world's vial format,
    valid around `now` (signed directly: the line-state services have their own tests)."""
    moment = now or datetime.now(UTC)
    performer, verifier = world.users["technician"], world.users["pharmacist"]
    with audited_write(Actor.system("tests")):
        decon = Decontamination.objects.create(
            cycle_id=f"VHP-T-{Decontamination.objects.count() + 1}",
            done_at=moment - timedelta(hours=1),
            valid_until=moment + timedelta(days=3),
        )
        parts = FormatPartsSet.objects.create(
            set_code=f"FP-T-{FormatPartsSet.objects.count() + 1}",
            vial_format=world.product.vial_format,
            cleaned_at=moment - timedelta(hours=4),
            sterilised_at=moment - timedelta(hours=2),
            valid_until=moment + timedelta(days=10),
        )
        for record in (decon, parts):
            write_signature(performer, record, Meaning.PERFORMED)
            write_signature(verifier, record, Meaning.VERIFIED)
    return decon, parts


def free_component_step(obj: ComponentLot) -> None:
    obj.step = PreparationStep.objects.filter(component_lot__isnull=True).first()  # type: ignore[assignment]
    obj.role = f"{obj.role}-2"


def prepare(world: World, batch: Batch) -> Batch:
    """Every step of the compounding sheet performed by the technician and verified by the
    pharmacist (both qualified for the product's aseptic steps), through the service."""
    from rempart.mes.batches.preparation import expected_codes, formula_for, sign_preparation_step
    from tests.mes.conftest import PASSWORD

    from .conftest import totp

    tech, pharma = world.users["technician"], world.users["pharmacist"]
    codes = expected_codes(batch)
    formula = formula_for(batch)
    expiry = datetime.now(UTC).date() + timedelta(days=365)
    for step in ("api", "diluent", "compounding", "vials", "caps"):
        extra: dict[str, object] = (
            {"api_mg": formula.api_quantity.amount, "volume_ml": formula.bulk_volume.amount}
            if step == "compounding"
            else {"item_code": codes[step], "lot_number": f"LOT-{step}", "expiry": expiry}
        )
        sign_preparation_step(
            tech,
            batch,
            step=step,
            meaning="performed",
            password=PASSWORD,
            totp_code=totp(tech),
            **extra,  # type: ignore[arg-type]
        )
        sign_preparation_step(
            pharma, batch, step=step, meaning="verified", password=PASSWORD, totp_code=totp(pharma)
        )
    return batch
