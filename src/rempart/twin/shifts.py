"""Shift patterns: when operators are on the line, as windows of simulated seconds."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from rempart.domain.errors import InvalidValue

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class Shift:
    """A shift on some weekdays; `end` at or before `start` runs past midnight."""

    name: str
    days: tuple[str, ...]
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidValue("must not be empty", field="name")
        if not self.days:
            raise InvalidValue("must list at least one day", field="days")
        for day in self.days:
            if day not in DAYS:
                raise InvalidValue(f"{day!r} is not one of {', '.join(DAYS)}", field="days")

    @property
    def length_s(self) -> float:
        start = self.start.hour * 3600 + self.start.minute * 60
        end = self.end.hour * 3600 + self.end.minute * 60
        return float((end - start) % 86_400 or 86_400)


@dataclass(frozen=True, slots=True)
class Window:
    start_s: float
    end_s: float
    shift: str


class ShiftCalendar:
    """The shift windows over a horizon. No shifts at all means always staffed."""

    def __init__(self, shifts: tuple[Shift, ...], start: datetime, horizon_s: float) -> None:
        self.always = not shifts
        windows: list[Window] = []
        first_day = start.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
        day = first_day
        while (day - start).total_seconds() < horizon_s:
            for shift in shifts:
                if DAYS[day.weekday()] not in shift.days:
                    continue
                begin = day.replace(hour=shift.start.hour, minute=shift.start.minute)
                begin_s = (begin - start).total_seconds()
                end_s = begin_s + shift.length_s
                if end_s > 0 and begin_s < horizon_s:
                    windows.append(Window(begin_s, end_s, shift.name))
            day += timedelta(days=1)
        self.windows = sorted(windows, key=lambda w: (w.start_s, w.end_s))
        self._merged = _merge([(w.start_s, w.end_s) for w in self.windows])
        self._starts = [a for a, _ in self._merged]

    def staffed(self, t_s: float) -> bool:
        if self.always:
            return True
        i = bisect.bisect_right(self._starts, t_s) - 1
        return i >= 0 and t_s < self._merged[i][1]

    def next_start_after(self, t_s: float) -> float | None:
        for begin, _ in self._merged:
            if begin > t_s:
                return begin
        return None

    def staffed_seconds(self, horizon_s: float) -> float:
        """Planned production time within [0, horizon]: the base of availability."""
        if self.always:
            return horizon_s
        return sum(max(0.0, min(b, horizon_s) - max(a, 0.0)) for a, b in self._merged)


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged
