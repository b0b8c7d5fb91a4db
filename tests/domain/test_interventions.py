"""Media-fill coverage of interventions (DOMAIN.md §5.6): pure rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from rempart.domain.errors import InvalidValue
from rempart.domain.interventions import (
    MediaFillCoverage,
    check_media_fill,
    is_covered,
    last_media_fill,
    parse_covered,
    uncovered,
)


def fill(on: date, *covered: str, line: str = "LINE-1") -> MediaFillCoverage:
    return MediaFillCoverage(line, on, frozenset(covered), 5000, Decimal("8"))


@pytest.mark.parametrize(
    ("covered", "kind", "name", "expected"),
    [
        ({"fill_weight_check"}, "inherent", "fill_weight_check", True),
        ({"corrective:clear_cap_jam"}, "corrective", "clear_cap_jam", True),
        ({"corrective:clear_cap_jam"}, "inherent", "clear_cap_jam", False),
        ({"corrective:*"}, "corrective", "clear_anything", True),
        ({"corrective:*"}, "inherent", "fill_weight_check", False),
        ({"fill_weight_check"}, "inherent", "settle_plate_change", False),
        (set(), "inherent", "fill_weight_check", False),
        ({"corrective:*"}, "corrective", "", False),
    ],
)
def test_coverage_by_name_type_and_name_or_type(
    covered: set[str], kind: str, name: str, expected: bool
) -> None:
    assert is_covered(covered, kind, name) is expected


def test_the_last_media_fill_of_the_line_on_or_before_the_day_counts() -> None:
    fills = [
        fill(date(2025, 6, 1), "a"),
        fill(date(2025, 12, 1), "b"),
        fill(date(2026, 3, 1), "c"),
        fill(date(2026, 1, 1), "d", line="LINE-2"),
    ]
    assert last_media_fill(fills, "LINE-1", date(2026, 1, 5)) == fills[1]
    assert last_media_fill(fills, "LINE-1", date(2025, 12, 1)) == fills[1]
    assert last_media_fill(fills, "LINE-1", date(2025, 1, 1)) is None
    assert last_media_fill(fills, "LINE-2", date(2026, 1, 5)) == fills[3]


def test_why_an_intervention_is_not_covered() -> None:
    assert uncovered(fill(date(2025, 12, 1), "a"), "inherent", "a") is None
    why = uncovered(fill(date(2025, 12, 1), "a"), "corrective", "b")
    assert why is not None
    assert "2025-12-01" in why
    assert "'b'" in why
    none = uncovered(None, "inherent", "a")
    assert none is not None
    assert "no media fill" in none


@pytest.mark.parametrize("text", ["", "  \n ", "a\na", "two words", ":x", "x:", "x" * 81])
def test_bad_coverage_lists_are_refused(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_covered(text)
    assert caught.value.field == "interventions"


def test_coverage_lists_are_cleaned() -> None:
    assert parse_covered(" a \r\n\ncorrective:* \n") == ["a", "corrective:*"]
    assert parse_covered(["a", " b "]) == ["a", "b"]


@pytest.mark.parametrize(
    ("on", "vials", "hours", "field"),
    [
        (date(2026, 2, 1), 5000, Decimal("8"), "performed_on"),
        (date(2026, 1, 1), 0, Decimal("8"), "max_batch_vials"),
        (date(2026, 1, 1), 5000, Decimal("0"), "max_duration_h"),
        (date(2026, 1, 1), 10**30, Decimal("8"), "max_batch_vials"),
        (date(2026, 1, 1), 5000, Decimal("NaN"), "max_duration_h"),
        (date(2026, 1, 1), 5000, Decimal("Infinity"), "max_duration_h"),
        (date(2026, 1, 1), 5000, Decimal("1000"), "max_duration_h"),
    ],
)
def test_media_fill_facts_are_checked(on: date, vials: int, hours: Decimal, field: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_media_fill(on, date(2026, 1, 15), vials, hours)
    assert caught.value.field == field
    check_media_fill(date(2026, 1, 15), date(2026, 1, 15), 1, Decimal("0.5"))
    check_media_fill(date(2026, 1, 15), date(2026, 1, 15), 1_000_000, Decimal("999.99"))
