"""Preparation of a batch: the compounding sheet computed from its master record and the
batch quantity, and its steps signed in order (rules in `rempart.domain.preparation`).

`sign_preparation_step(user, batch, step=, meaning="performed", ...)` records a step (a
component lot scanned, or the API weighed and the volume made up) and signs it "performed";
`meaning="verified"` is the second person's signature. Each signer needs the aseptic
qualifications for the product (`for_aseptic_step`). A step cannot be performed before the
previous one is verified. A complete preparation is required before the line clearance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from rempart.domain import master_record as rules
from rempart.domain import preparation as prep
from rempart.domain.batch import BatchState
from rempart.domain.errors import DomainError
from rempart.domain.qualification import for_aseptic_step
from rempart.domain.roles import Action
from rempart.domain.signatures import Meaning
from rempart.domain.units import MgPerMl, Millilitres
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import audited_write
from rempart.mes.batches.models import Batch, ComponentLot, PreparationStep
from rempart.mes.core.columns import fitting
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.signatures.services import (
    ShownSignature,
    check_signer_may_sign,
    signatures_of,
    write_signature,
)

#: Preparation happens before the line clearance.
PREPARATION_STATES = frozenset({BatchState.PLANNED.value, BatchState.SCHEDULED.value})


@dataclass
class SheetStep:
    step: prep.Step
    record: PreparationStep | None = None
    lot: ComponentLot | None = None
    expected_item_code: str = ""
    signatures: list[ShownSignature] = field(default_factory=list)
    progress: prep.Progress = field(default_factory=prep.Progress)


@dataclass
class CompoundingSheet:
    batch: Batch
    formula: rules.CompoundingFormula | None
    problem: str
    steps: list[SheetStep]

    @property
    def progress(self) -> dict[str, prep.Progress]:
        return {s.step.name: s.progress for s in self.steps}

    @property
    def next(self) -> tuple[str, str] | None:
        return prep.next_step(self.progress)

    @property
    def complete(self) -> bool:
        return prep.complete(self.progress)


def formula_for(batch: Batch) -> rules.CompoundingFormula:
    """The compounding formula for the batch's quantity (the master record's dead volume,
    line losses and diluent; the product's concentration and fill volume)."""
    product, record = batch.product, batch.master_record
    try:
        return rules.compounding_formula(
            concentration=MgPerMl(product.concentration_mg_per_ml),
            nominal_volume=Millilitres(product.vial_format.nominal_volume_ml),
            fill_volume=Millilitres(product.fill_volume_ml),
            vials=batch.quantity_vials,
            dead_volume=Millilitres(record.dead_volume_ml),
            line_losses=Millilitres(record.line_losses_ml),
            diluent=record.diluent,
        )
    except DomainError as exc:
        raise Refused(exc.message, field=exc.field) from None


def expected_codes(batch: Batch) -> dict[str, str]:
    product = batch.product
    return prep.expected_item_codes(
        atc=product.molecule.atc,
        diluent=batch.master_record.diluent,
        vial_format=product.vial_format.code,
    )


def _progress(signatures: list[ShownSignature]) -> prep.Progress:
    def signer(meaning: Meaning) -> int | None:
        found = [s for s in signatures if s.valid and s.signature.meaning == meaning]
        return found[0].signature.signer_id if found else None

    return prep.Progress(signer(Meaning.PERFORMED), signer(Meaning.VERIFIED))


def compounding_sheet(batch: Batch) -> CompoundingSheet:
    try:
        formula, problem = formula_for(batch), ""
    except Refused as exc:
        formula, problem = None, f"{exc.field}: {exc.message}"
    codes = expected_codes(batch)
    records = {
        r.step: r
        for r in PreparationStep.objects.filter(batch=batch).select_related("component_lot")
    }
    steps = []
    for step in prep.STEPS:
        record = records.get(step.name)
        shown = signatures_of(record) if record else []
        steps.append(
            SheetStep(
                step=step,
                record=record,
                lot=getattr(record, "component_lot", None) if record else None,
                expected_item_code=codes.get(step.name, ""),
                signatures=shown,
                progress=_progress(shown),
            )
        )
    return CompoundingSheet(batch, formula, problem, steps)


def preparation_complete(batch: Batch) -> bool:
    return compounding_sheet(batch).complete


def _decimal(value: Decimal | str | float | None, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        parsed = Decimal(str(value).strip().replace(",", "."))
    except ArithmeticError:
        raise Refused(f"not a number: {value!r}", field=name) from None
    if not parsed.is_finite():
        raise Refused(f"not a number: {value!r}", field=name)
    return parsed


def sign_preparation_step(
    user: User,
    batch: Batch,
    *,
    step: str,
    meaning: str,
    password: str,
    totp_code: str,
    item_code: str = "",
    lot_number: str = "",
    expiry: date | None = None,
    api_mg: Decimal | str | None = None,
    volume_ml: Decimal | str | None = None,
    comment: str = "",
    today: date | None = None,
    request_id: str = "",
) -> PreparationStep:
    """Perform (and sign) or verify one step of the compounding sheet, in order."""
    require(user, Action.RUN_BATCH)
    try:
        sheet_step = prep.step_named(step)
    except DomainError as exc:
        raise Refused(exc.message, field=exc.field) from None
    if batch.state not in PREPARATION_STATES:
        raise Conflict(f"{batch} is {batch.state}: preparation is over", field="state")
    weighed, volume = _decimal(api_mg, "api_mg"), _decimal(volume_ml, "volume_ml")
    chosen = check_signer_may_sign(
        user,
        meaning=meaning,
        password=password,
        totp_code=totp_code,
        requirements=for_aseptic_step(batch.product.code),
    )
    actor = actor_for(user, request_id)
    with audited_write(actor, reason=f"preparation {step} {chosen}"):
        Batch.objects.select_for_update().filter(pk=batch.pk).first()
        sheet = compounding_sheet(batch)
        try:
            prep.check_act(step, chosen.value, sheet.progress, user.pk)
        except DomainError as exc:
            error = NotPermitted if exc.field == "user" else Conflict
            raise error(exc.message, field=exc.field) from None
        if chosen is Meaning.VERIFIED:
            record = PreparationStep.objects.get(batch=batch, step=step)
            write_signature(user, record, Meaning.VERIFIED, comment=f"preparation {step}")
            return record
        position = prep.STEP_NAMES.index(step) + 1
        try:
            if sheet_step.kind is prep.StepKind.COMPONENT:
                prep.check_component(
                    step,
                    expected=expected_codes(batch)[step],
                    scanned=item_code,
                    lot_number=lot_number,
                    expiry=expiry,
                    today=today or datetime.now(UTC).date(),
                )
            else:
                formula = formula_for(batch)
                prep.check_compounding(
                    api_mg=weighed,
                    expected_api_mg=formula.api_quantity.amount,
                    volume_ml=volume,
                    expected_volume_ml=formula.bulk_volume.amount,
                )
        except DomainError as exc:
            raise Refused(exc.message, field=exc.field) from None
        record = PreparationStep.objects.create(
            batch=batch,
            step=step,
            position=position,
            comment=fitting(PreparationStep, "comment", comment.strip(), field="comment"),
            api_mg=weighed if sheet_step.kind is prep.StepKind.COMPOUNDING else None,
            volume_ml=volume if sheet_step.kind is prep.StepKind.COMPOUNDING else None,
        )
        if sheet_step.kind is prep.StepKind.COMPONENT:
            assert expiry is not None
            ComponentLot.objects.create(
                batch=batch,
                step=record,
                role=step,
                item_code=prep.normalise_code(item_code),
                lot_number=lot_number.strip(),
                expiry=expiry,
            )
        write_signature(user, record, Meaning.PERFORMED, comment=f"preparation {step}")
    return record
