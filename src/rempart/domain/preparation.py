"""Preparation of a batch and the line state it needs (DOMAIN.md §5.2, §5.6): pure rules.

Before a batch may be ordered or sent to the line, the line must hold a valid
decontamination (a VHP cycle, signed performed and verified, not past its validity) and a
valid set of format parts (cleaned and sterilised, signed, for the product's vial format).

Preparation follows the compounding sheet in a fixed order. Each step is performed by one
qualified person and verified by a second one; a step cannot be performed before the
previous one is verified. Component steps identify a component lot by its item code (it must
be the one the sheet expects), its lot number and its expiry (an expired lot is refused);
the compounding step records the API weighed and the volume made up, within tolerance.

Item codes **[A]**: until the stock app keeps an item master, the expected code of each
component follows from the product: `API-<ATC code>`, `DIL-<diluent, upper-case, dashes>`,
`VIAL-<vial format>`, `CAP-<vial format>` (a cap fits a format's neck).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from rempart.domain.errors import InvalidValue


class StepKind(StrEnum):
    COMPONENT = "component"
    COMPOUNDING = "compounding"


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    kind: StepKind
    title: str


#: The compounding sheet's steps, in the enforced order.
STEPS: tuple[Step, ...] = (
    Step("api", StepKind.COMPONENT, "API lot identified"),
    Step("diluent", StepKind.COMPONENT, "diluent lot identified"),
    Step("compounding", StepKind.COMPOUNDING, "API weighed, dissolved, made up to volume"),
    Step("vials", StepKind.COMPONENT, "vials lot identified"),
    Step("caps", StepKind.COMPONENT, "caps lot identified"),
)
STEP_NAMES: tuple[str, ...] = tuple(s.name for s in STEPS)
COMPONENT_STEPS: tuple[str, ...] = tuple(s.name for s in STEPS if s.kind is StepKind.COMPONENT)

#: How far the API weighed and the volume made up may be from the sheet **[A]**.
COMPOUNDING_TOLERANCE_PCT = Decimal("1")


def step_named(name: str) -> Step:
    for step in STEPS:
        if step.name == name:
            return step
    raise InvalidValue(f"unknown step {name!r}; one of {', '.join(STEP_NAMES)}", field="step")


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", "-", plain.upper()).strip("-")


def expected_item_codes(*, atc: str, diluent: str, vial_format: str) -> dict[str, str]:
    """The item code the sheet expects for each component step."""
    return {
        "api": f"API-{_slug(atc)}",
        "diluent": f"DIL-{_slug(diluent)}",
        "vials": f"VIAL-{_slug(vial_format)}",
        "caps": f"CAP-{_slug(vial_format)}",
    }


def normalise_code(raw: str) -> str:
    """A scanned or typed code: surrounding blanks dropped, upper case."""
    return raw.strip().upper()


def check_component(
    step: str, *, expected: str, scanned: str, lot_number: str, expiry: date | None, today: date
) -> None:
    """A component lot as scanned: the right item, a lot number, not expired."""
    code = normalise_code(scanned)
    if not code:
        raise InvalidValue(f"scan the {step} item code", field="item_code")
    if code != expected:
        raise InvalidValue(
            f"wrong component for the {step} step: scanned {code}, the sheet expects {expected}",
            field="item_code",
        )
    if not lot_number.strip() or len(lot_number.strip()) > 40:
        raise InvalidValue("enter the lot number (1 to 40 characters)", field="lot_number")
    if expiry is None:
        raise InvalidValue("enter the lot's expiry date", field="expiry")
    if expiry < today:
        raise InvalidValue(
            f"{step} lot {lot_number.strip()} expired on {expiry.isoformat()}", field="expiry"
        )


def _within(actual: Decimal, expected: Decimal, tolerance_pct: Decimal) -> bool:
    return abs(actual - expected) <= expected * tolerance_pct / 100


def check_compounding(
    *,
    api_mg: Decimal | None,
    expected_api_mg: Decimal,
    volume_ml: Decimal | None,
    expected_volume_ml: Decimal,
    tolerance_pct: Decimal = COMPOUNDING_TOLERANCE_PCT,
) -> None:
    """The API weighed and the bulk volume made up, each within ± tolerance of the sheet."""
    if api_mg is None or api_mg <= 0:
        raise InvalidValue("enter the API quantity weighed (mg)", field="api_mg")
    if not _within(api_mg, expected_api_mg, tolerance_pct):
        raise InvalidValue(
            f"{api_mg} mg weighed; the sheet asks {expected_api_mg} mg ± {tolerance_pct} %",
            field="api_mg",
        )
    if volume_ml is None or volume_ml <= 0:
        raise InvalidValue("enter the volume made up (mL)", field="volume_ml")
    if not _within(volume_ml, expected_volume_ml, tolerance_pct):
        raise InvalidValue(
            f"{volume_ml} mL made up; the sheet asks {expected_volume_ml} mL ± {tolerance_pct} %",
            field="volume_ml",
        )


@dataclass(frozen=True, slots=True)
class Progress:
    """Who performed and who verified a step (user ids), as far as it went."""

    performed_by: int | None = None
    verified_by: int | None = None


def next_step(progress: Mapping[str, Progress]) -> tuple[str, str] | None:
    """The next act on the sheet: (step, "performed" | "verified"), or None when complete."""
    for step in STEP_NAMES:
        done = progress.get(step, Progress())
        if done.performed_by is None:
            return step, "performed"
        if done.verified_by is None:
            return step, "verified"
    return None


def check_act(step: str, meaning: str, progress: Mapping[str, Progress], signer: int) -> None:
    """Refuse an act out of order, twice, or a verification by the performer."""
    step_named(step)
    if meaning not in ("performed", "verified"):
        raise InvalidValue("a preparation step is performed or verified", field="meaning")
    done = progress.get(step, Progress())
    if meaning == "performed" and done.performed_by is not None:
        raise InvalidValue(f"the {step} step is already performed", field="step")
    if meaning == "verified":
        if done.performed_by is None:
            raise InvalidValue(f"the {step} step has not been performed", field="step")
        if done.verified_by is not None:
            raise InvalidValue(f"the {step} step is already verified", field="step")
        if done.performed_by == signer:
            raise InvalidValue(
                "the verifier must be another person than the one who performed it",
                field="user",
            )
        return
    index = STEP_NAMES.index(step)
    if index > 0:
        before = STEP_NAMES[index - 1]
        if progress.get(before, Progress()).verified_by is None:
            raise InvalidValue(
                f"the {before} step must be performed and verified before {step}", field="step"
            )


def complete(progress: Mapping[str, Progress]) -> bool:
    return next_step(progress) is None


@dataclass(frozen=True, slots=True)
class LineStateRecord:
    """A decontamination or a format parts set as the check sees it."""

    label: str
    valid_until: datetime
    verified: bool
    vial_format: str = ""


def check_decontamination(found: LineStateRecord | None, now: datetime) -> None:
    if found is None:
        raise InvalidValue("no decontamination of the line is recorded", field="decontamination")
    if not found.verified:
        raise InvalidValue(
            f"decontamination {found.label} is not signed performed and verified",
            field="decontamination",
        )
    if found.valid_until <= now:
        raise InvalidValue(
            f"decontamination {found.label} expired at {found.valid_until.isoformat()}",
            field="decontamination",
        )


def check_format_parts(found: list[LineStateRecord], vial_format: str, now: datetime) -> None:
    """At least one verified, unexpired format parts set for `vial_format`."""
    matching = [f for f in found if f.vial_format == vial_format]
    if any(f.verified and f.valid_until > now for f in matching):
        return
    if not matching:
        raise InvalidValue(
            f"no format parts set for vial format {vial_format} is recorded", field="format_parts"
        )
    if not any(f.verified for f in matching):
        raise InvalidValue(
            f"no format parts set for {vial_format} is signed performed and verified",
            field="format_parts",
        )
    last = max(f.valid_until for f in matching)
    raise InvalidValue(
        f"the format parts for {vial_format} expired at {last.isoformat()}", field="format_parts"
    )
