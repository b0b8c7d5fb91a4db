"""Interventions in grade A and the media fill that covers them (DOMAIN.md §5.6).

A media fill (aseptic process simulation) validates the interventions it included. An
intervention met in production that the last media fill of the line did not include is not
validated: it opens a deviation on the batch. Coverage is by name (`cap_jam_clearance`) or by
type and name (`corrective:cap_jam_clearance`); `corrective:*` covers every intervention of
that type.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rempart.domain.errors import InvalidValue


@dataclass(frozen=True, slots=True)
class MediaFillCoverage:
    line_id: str
    performed_on: date
    covered: frozenset[str]
    max_batch_vials: int
    max_duration_h: Decimal


def parse_covered(text: str | Iterable[str]) -> list[str]:
    """The covered interventions, one per line (or an iterable), cleaned and checked."""
    items = text.splitlines() if isinstance(text, str) else list(text)
    names = [item.strip() for item in items if item.strip()]
    if not names:
        raise InvalidValue("name at least one intervention the media fill covered",
                           field="interventions")  # fmt: skip
    seen: set[str] = set()
    for number, name in enumerate(names, start=1):
        kind, sep, rest = name.partition(":")
        if len(name) > 80 or (sep and (not kind.strip() or not rest.strip())) or " " in name:
            raise InvalidValue(
                f"line {number}: {name!r} is not an intervention name or type:name",
                field="interventions",
            )
        if name in seen:
            raise InvalidValue(f"line {number}: {name!r} is listed twice", field="interventions")
        seen.add(name)
    return names


#: What one media fill can claim to cover: a month of 24/7 filling at 600 vials an hour is
#: about 430,000 vials; the record keeps hours with two decimals below 1,000.
MEDIA_FILL_MAX_VIALS = 1_000_000
MEDIA_FILL_MAX_HOURS = Decimal("999.99")


def check_media_fill(
    performed_on: date, today: date, max_batch_vials: int, max_duration_h: Decimal
) -> None:
    if performed_on > today:
        raise InvalidValue("a media fill cannot be recorded before it is done",
                           field="performed_on")  # fmt: skip
    if max_batch_vials <= 0:
        raise InvalidValue("the batch size covered must be positive", field="max_batch_vials")
    if max_batch_vials > MEDIA_FILL_MAX_VIALS:
        raise InvalidValue(f"the batch size covered is at most {MEDIA_FILL_MAX_VIALS:,} vials",
                           field="max_batch_vials")  # fmt: skip
    if not max_duration_h.is_finite() or max_duration_h <= 0:
        raise InvalidValue("the duration covered must be a positive number of hours",
                           field="max_duration_h")  # fmt: skip
    if max_duration_h > MEDIA_FILL_MAX_HOURS:
        raise InvalidValue(f"the duration covered is at most {MEDIA_FILL_MAX_HOURS} hours",
                           field="max_duration_h")  # fmt: skip


def is_covered(covered: Iterable[str], intervention_type: str, name: str) -> bool:
    names = set(covered)
    return bool({name, f"{intervention_type}:{name}", f"{intervention_type}:*"} & names) and bool(
        name
    )


def last_media_fill(
    fills: Sequence[MediaFillCoverage], line_id: str, on: date
) -> MediaFillCoverage | None:
    """The line's latest media fill done on or before `on`."""
    done = [f for f in fills if f.line_id == line_id and f.performed_on <= on]
    return max(done, key=lambda f: f.performed_on, default=None)


def uncovered(fill: MediaFillCoverage | None, intervention_type: str, name: str) -> str | None:
    """Why the intervention is not covered, or None when the last media fill covers it."""
    if fill is None:
        return f"no media fill of the line is recorded, so {name!r} is not covered"
    if is_covered(fill.covered, intervention_type, name):
        return None
    return (
        f"{intervention_type} intervention {name!r} was not part of the media fill of "
        f"{fill.performed_on.isoformat()}"
    )
