"""The fault-injection option of `twin serve`: which journal sequences to drop."""

from __future__ import annotations

import pytest

from rempart.opcua.server import parse_sequence_ranges


def test_sequence_ranges_parse_strictly() -> None:
    assert parse_sequence_ranges("") == frozenset()
    assert parse_sequence_ranges("100-102, 7") == frozenset({7, 100, 101, 102})
    for bad in ("a-b", "0-3", "9-2", "5-"):
        with pytest.raises(ValueError, match="sequence"):
            parse_sequence_ranges(bad)
