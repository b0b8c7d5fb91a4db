"""Quality control rules that need no database: the sampling plan at batch end, judging a
result against its specification's limits, and the expected release date.

DOMAIN.md §5.7 (sampling, sterility units), §5.5 (viable EM: grade A, any growth acts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from rempart.domain.errors import InvalidValue
from rempart.domain.master_record import sterility_sample_count


class SampleKind(StrEnum):
    STERILITY = "sterility"
    ENDOTOXINS = "endotoxins"
    VISUAL_INSPECTION = "visual_inspection"
    ASSAY = "assay"
    RETENTION = "retention"


#: Kinds tested in the QC laboratory (retention samples are kept, not tested).
TESTED_KINDS = (
    SampleKind.STERILITY,
    SampleKind.ENDOTOXINS,
    SampleKind.VISUAL_INSPECTION,
    SampleKind.ASSAY,
)

#: Kinds whose units leave the lot (a visual-inspection sample is looked at and returned).
DESTRUCTIVE_KINDS = frozenset(
    {SampleKind.STERILITY, SampleKind.ENDOTOXINS, SampleKind.ASSAY, SampleKind.RETENTION}
)

_CODES = {
    SampleKind.STERILITY: "STE",
    SampleKind.ENDOTOXINS: "END",
    SampleKind.VISUAL_INSPECTION: "VIS",
    SampleKind.ASSAY: "ASY",
    SampleKind.RETENTION: "RET",
}


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PlannedSample:
    """One labelled sample the batch end creates."""

    kind: SampleKind
    sample_id: str
    units: int
    incubation_days: int = 0


def sample_id(batch_number: str, kind: SampleKind) -> str:
    """The label on the sample: `<batch>-<code>`, e.g. `B2611-001-STE`."""
    return f"{batch_number}-{_CODES[SampleKind(kind)]}"


def plan_samples(
    batch_number: str,
    *,
    batch_vials: int,
    endotoxin_units: int,
    visual_inspection_units: int,
    assay_units: int,
    retention_units: int,
    sterility_incubation_days: int,
) -> list[PlannedSample]:
    """The master record's sampling plan applied to one batch (kinds with 0 units are left
    out). Sterility units follow Ph. Eur. 2.6.1 through `sterility_sample_count`."""
    if sterility_incubation_days < 1:
        raise InvalidValue("sterility incubation is at least one day", field="incubation_days")
    units = {
        SampleKind.STERILITY: sterility_sample_count(batch_vials),
        SampleKind.ENDOTOXINS: endotoxin_units,
        SampleKind.VISUAL_INSPECTION: visual_inspection_units,
        SampleKind.ASSAY: assay_units,
        SampleKind.RETENTION: retention_units,
    }
    for kind, n in units.items():
        if n < 0:
            raise InvalidValue("sample units cannot be negative", field=f"{kind}_units")
    return [
        PlannedSample(
            kind,
            sample_id(batch_number, kind),
            n,
            sterility_incubation_days if kind is SampleKind.STERILITY else 0,
        )
        for kind, n in units.items()
        if n > 0
    ]


def units_leaving_lot(samples: Iterable[PlannedSample]) -> int:
    return sum(s.units for s in samples if s.kind in DESTRUCTIVE_KINDS)


@dataclass(frozen=True, slots=True)
class Limits:
    """A specification's acceptance criteria: numeric bounds (inclusive) or an expected
    qualitative outcome (e.g. "no growth")."""

    lower: Decimal | None = None
    upper: Decimal | None = None
    expected: str = ""

    def __post_init__(self) -> None:
        if self.expected and (self.lower is not None or self.upper is not None):
            raise InvalidValue("a qualitative limit has no bounds", field="expected")
        if not self.expected and self.lower is None and self.upper is None:
            raise InvalidValue("give a lower or upper limit, or an expected result", field="upper")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise InvalidValue("the lower limit exceeds the upper limit", field="lower")

    @property
    def qualitative(self) -> bool:
        return bool(self.expected)

    def text(self, unit: str = "") -> str:
        """`95–105 %`, `≤ 0.5 EU/mL`, `no growth`."""
        if self.expected:
            return self.expected
        suffix = f" {unit}" if unit else ""
        if self.lower is not None and self.upper is not None:
            return f"{_plain(self.lower)}–{_plain(self.upper)}{suffix}"
        if self.upper is not None:
            return f"≤ {_plain(self.upper)}{suffix}"
        return f"≥ {_plain(self.lower)}{suffix}"


def _plain(value: Decimal | None) -> str:
    """`95.0000` → `95`, `0.5000` → `0.5` (no exponent)."""
    return "" if value is None else format(value.normalize(), "f")


def _normalise(text: str) -> str:
    return " ".join(text.strip().lower().split())


def judge(limits: Limits, raw: str) -> tuple[Verdict, Decimal | None]:
    """The verdict of one result, and its number when the limit is numeric.

    A qualitative result passes when it equals the expected text (case and spaces aside).
    A numeric result accepts a decimal comma; bounds are inclusive.
    """
    text = raw.strip()
    if not text:
        raise InvalidValue("enter the result", field="value")
    if limits.qualitative:
        passed = _normalise(text) == _normalise(limits.expected)
        return (Verdict.PASSED if passed else Verdict.FAILED), None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise InvalidValue(f"{text!r} is not a number", field="value") from None
    if not value.is_finite():
        raise InvalidValue(f"{text!r} is not a number", field="value")
    if limits.lower is not None and value < limits.lower:
        return Verdict.FAILED, value
    if limits.upper is not None and value > limits.upper:
        return Verdict.FAILED, value
    return Verdict.PASSED, value


def expected_release_date(fill_date: date, lead_times_days: Iterable[int]) -> date:
    """The fill date plus the longest QC lead time (sterility incubation usually)."""
    longest = max((d for d in lead_times_days), default=0)
    if longest < 0:
        raise InvalidValue("a lead time cannot be negative", field="lead_time_days")
    return fill_date + timedelta(days=longest)
