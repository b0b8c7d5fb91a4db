"""Master batch records: versions, approval workflow and the pure computations they carry.

Workflow (a transition table, like the batch lifecycle): DRAFT → IN_REVIEW → APPROVED →
SUPERSEDED, with IN_REVIEW → DRAFT when the reviewer sends it back. Approving a version
supersedes the previously approved version of the same product.

Computations (standard library only, `Decimal` throughout):
- the compounding formula of a ready-to-use product: bulk volume = vials × fill volume +
  dead volume + line losses; API quantity = target concentration × bulk volume; diluent to
  volume; overfill per vial = fill volume - nominal volume;
- fill-weight in-process control limits (alert inside action);
- the sterility sampling plan (DOMAIN.md §5.7);
- the validated envelope of the last media fill (DOMAIN.md §5.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from rempart.domain.errors import InvalidTransition, InvalidValue
from rempart.domain.units import MgPerMl, Milligrams, Millilitres


class MasterRecordState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    SUPERSEDED = "superseded"


M = MasterRecordState

TRANSITIONS: Mapping[MasterRecordState, frozenset[MasterRecordState]] = {
    M.DRAFT: frozenset({M.IN_REVIEW}),
    M.IN_REVIEW: frozenset({M.APPROVED, M.DRAFT}),
    M.APPROVED: frozenset({M.SUPERSEDED}),
    M.SUPERSEDED: frozenset(),
}

#: Only a draft's content may change; every other state is frozen content.
EDITABLE_STATES = frozenset({M.DRAFT})

#: Entering these states is an e-signed act.
SIGNED_TARGETS = frozenset({M.APPROVED})


def transition(current: MasterRecordState | str, target: MasterRecordState | str) -> None:
    """Check one move of the workflow, or raise `InvalidTransition` saying what is allowed."""
    source, goal = MasterRecordState(current), MasterRecordState(target)
    if goal not in TRANSITIONS[source]:
        options = ", ".join(sorted(TRANSITIONS[source])) or "none (final state)"
        raise InvalidTransition(source, goal, f"allowed from {source}: {options}")


@dataclass(frozen=True, slots=True)
class CompoundingFormula:
    """What to weigh and measure for one bulk solution."""

    vials: int
    fill_volume: Millilitres
    overfill_per_vial: Millilitres
    filled_volume: Millilitres
    bulk_volume: Millilitres
    api_quantity: Milligrams
    diluent: str


def compounding_formula(
    *,
    concentration: MgPerMl,
    nominal_volume: Millilitres,
    fill_volume: Millilitres,
    vials: int,
    dead_volume: Millilitres,
    line_losses: Millilitres,
    diluent: str,
) -> CompoundingFormula:
    """The formula of a ready-to-use product; raises `InvalidValue` naming the bad input."""
    if isinstance(vials, bool) or not isinstance(vials, int) or vials <= 0:
        raise InvalidValue(
            f"the batch size is a positive number of vials, got {vials!r}", field="batch_size_vials"
        )
    if fill_volume < nominal_volume:
        raise InvalidValue(
            "the fill volume cannot be below the nominal volume", field="fill_volume_ml"
        )
    if not diluent.strip():
        raise InvalidValue("name the diluent (for example: water for injections)", field="diluent")
    filled = Millilitres(fill_volume.amount * vials)
    bulk = filled + dead_volume + line_losses
    return CompoundingFormula(
        vials=vials,
        fill_volume=fill_volume,
        overfill_per_vial=fill_volume - nominal_volume,
        filled_volume=filled,
        bulk_volume=bulk,
        api_quantity=concentration * bulk,
        diluent=diluent.strip(),
    )


@dataclass(frozen=True, slots=True)
class FillWeightLimits:
    """Fill-weight in-process control limits in grams: alert limits lie inside action limits."""

    target_g: Decimal
    alert_low_g: Decimal
    alert_high_g: Decimal
    action_low_g: Decimal
    action_high_g: Decimal


def _grams(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def fill_weight_limits(
    *, fill_volume: Millilitres, density_g_per_ml: Decimal, alert_pct: Decimal, action_pct: Decimal
) -> FillWeightLimits:
    """Target = fill volume × density; alert and action bands are ± percentages of target."""
    if density_g_per_ml <= 0:
        raise InvalidValue("the density must be positive", field="density_g_per_ml")
    if alert_pct <= 0:
        raise InvalidValue(
            "the alert limit must be a positive percentage", field="fill_weight_alert_pct"
        )
    if action_pct <= alert_pct:
        raise InvalidValue(
            "the action limit must be wider than the alert limit", field="fill_weight_action_pct"
        )
    if action_pct >= 50:
        raise InvalidValue(
            "an action limit of 50 % or more is not a control", field="fill_weight_action_pct"
        )
    target = fill_volume.amount * density_g_per_ml
    alert = target * alert_pct / 100
    action = target * action_pct / 100
    return FillWeightLimits(
        target_g=_grams(target),
        alert_low_g=_grams(target - alert),
        alert_high_g=_grams(target + alert),
        action_low_g=_grams(target - action),
        action_high_g=_grams(target + action),
    )


def sterility_sample_count(batch_size_vials: int) -> int:
    """Units for the sterility test (DOMAIN.md §5.7): ≤100: 10 % or 4, whichever is greater;
    101-500: 10; above 500: 2 % or 20, whichever is less."""
    if batch_size_vials <= 0:
        raise InvalidValue("the batch size must be positive", field="batch_size_vials")
    if batch_size_vials <= 100:
        return max(4, -(-batch_size_vials // 10))
    if batch_size_vials <= 500:
        return 10
    return min(20, -(-batch_size_vials * 2 // 100))


@dataclass(frozen=True, slots=True)
class SamplingPlan:
    ipc_every_vials: int
    sterility_units: int
    endotoxin_units: int
    retention_units: int

    @property
    def total_units(self) -> int:
        return self.sterility_units + self.endotoxin_units + self.retention_units


def sampling_plan(
    *, batch_size_vials: int, ipc_every_vials: int, endotoxin_units: int, retention_units: int
) -> SamplingPlan:
    if ipc_every_vials <= 0:
        raise InvalidValue("the IPC frequency must be at least every vial", field="ipc_every_vials")
    if endotoxin_units < 0 or retention_units < 0:
        raise InvalidValue("sample counts cannot be negative", field="endotoxin_units")
    plan = SamplingPlan(
        ipc_every_vials=ipc_every_vials,
        sterility_units=sterility_sample_count(batch_size_vials),
        endotoxin_units=endotoxin_units,
        retention_units=retention_units,
    )
    if plan.total_units >= batch_size_vials:
        raise InvalidValue(
            f"the samples ({plan.total_units}) would take the whole batch", field="retention_units"
        )
    return plan


def check_envelope(
    *,
    batch_size_vials: int,
    duration_h: Decimal,
    max_batch_size_vials: int,
    max_duration_h: Decimal,
) -> None:
    """Refuse a batch outside the validated envelope of the last media fill (§5.6)."""
    if max_batch_size_vials <= 0:
        raise InvalidValue(
            "the envelope's batch size must be positive", field="envelope_max_batch_vials"
        )
    if max_duration_h <= 0:
        raise InvalidValue(
            "the envelope's duration must be positive", field="envelope_max_duration_h"
        )
    if batch_size_vials > max_batch_size_vials:
        raise InvalidValue(
            f"{batch_size_vials} vials exceed the {max_batch_size_vials} vials"
            " covered by the last media fill",
            field="batch_size_vials",
        )
    if duration_h > max_duration_h:
        raise InvalidValue(
            f"{duration_h} h exceeds the {max_duration_h} h covered by the last media fill",
            field="batch_duration_h",
        )
