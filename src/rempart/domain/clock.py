"""Time comes from an injected clock, always timezone-aware and in UTC inside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from rempart.domain.errors import InvalidValue


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and simulations: it only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = require_utc(start, field="start")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise InvalidValue("a clock does not go backwards", field="delta")
        self._now += delta
        return self._now


def require_utc(moment: datetime, *, field: str = "time") -> datetime:
    """Refuse naive datetimes; normalise aware ones to UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue("a time must carry its zone (naive datetime)", field=field)
    return moment.astimezone(UTC)
