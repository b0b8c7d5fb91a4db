from datetime import UTC, datetime, timedelta, timezone

import pytest

from rempart.domain.clock import Clock, FixedClock, SystemClock, require_utc
from rempart.domain.errors import InvalidValue


def test_clocks_are_aware_utc() -> None:
    assert isinstance(SystemClock(), Clock)
    assert SystemClock().now().tzinfo is UTC
    paris_summer = datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    clock = FixedClock(paris_summer)
    assert clock.now() == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    assert clock.advance(timedelta(minutes=5)).minute == 5


def test_naive_and_backwards_refused() -> None:
    with pytest.raises(InvalidValue):
        require_utc(datetime(2026, 1, 1))
    with pytest.raises(InvalidValue):
        FixedClock(datetime(2026, 1, 1, tzinfo=UTC)).advance(timedelta(seconds=-1))
