"""Personal qualifications (DOMAIN.md §5.2 rule 2, §5.6) and the check that guards each act.

A person performs or signs a step only with every qualification it needs valid on that day;
the refusal names the missing or expired qualification.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from rempart.domain.errors import InvalidValue


class QualificationKind(StrEnum):
    ASEPTIC_PROCESS_SIMULATION = "aseptic_process_simulation"
    GOWNING = "gowning"
    MASTER_RECORD_TRAINING = "master_record_training"


@dataclass(frozen=True, slots=True)
class Held:
    """One qualification a person holds; `subject` is the product code for a record training."""

    kind: QualificationKind
    valid_from: date
    valid_until: date
    subject: str = ""


@dataclass(frozen=True, slots=True)
class Requirement:
    kind: QualificationKind
    subject: str = ""

    def describe(self) -> str:
        return f"{self.kind} ({self.subject})" if self.subject else str(self.kind)


def check_validity_dates(valid_from: date, valid_until: date) -> None:
    if valid_until <= valid_from:
        raise InvalidValue("the expiry must come after the start of validity", field="valid_until")


def missing_qualifications(
    held: Iterable[Held], required: Iterable[Requirement], on: date
) -> list[str]:
    """One sentence per unmet requirement: 'X expired on D' or 'no X'. Empty when qualified."""
    held = list(held)
    problems: list[str] = []
    for need in required:
        matching = [h for h in held if h.kind is need.kind and h.subject == need.subject]
        if any(h.valid_from <= on <= h.valid_until for h in matching):
            continue
        if matching:
            last = max(h.valid_until for h in matching)
            if last < on:
                problems.append(f"{need.describe()} expired on {last.isoformat()}")
            else:
                problems.append(f"{need.describe()} is not valid yet on {on.isoformat()}")
        else:
            problems.append(f"no {need.describe()} qualification")
    return problems


def for_approving_master_record(product_code: str) -> tuple[Requirement, ...]:
    """Approving a product's master batch record needs training on that product's record."""
    return (Requirement(QualificationKind.MASTER_RECORD_TRAINING, product_code),)


def for_aseptic_step(product_code: str) -> tuple[Requirement, ...]:
    """Performing an aseptic filling step: media fill, gowning and the product's record."""
    return (
        Requirement(QualificationKind.ASEPTIC_PROCESS_SIMULATION),
        Requirement(QualificationKind.GOWNING),
        Requirement(QualificationKind.MASTER_RECORD_TRAINING, product_code),
    )
