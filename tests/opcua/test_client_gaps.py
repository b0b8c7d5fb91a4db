"""Gap finding is exact: missing ranges and present sequences partition the window."""

from hypothesis import given
from hypothesis import strategies as st

from rempart.opcua.client import find_gaps


@given(st.lists(st.integers(1, 60), unique=True).map(sorted))
def test_gaps_and_present_cover_the_range_exactly(present: list[int]) -> None:
    gaps = find_gaps(1, 50, present)
    missing = {s for a, b in gaps for s in range(a, b + 1)}
    inside = {s for s in present if s <= 50}
    assert missing | inside == set(range(1, 51))
    assert not missing & inside
    assert all(a <= b for a, b in gaps)
