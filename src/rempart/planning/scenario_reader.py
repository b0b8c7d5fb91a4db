"""Typed access to a scenario document that names the JSON path of anything wrong.

`Reader` is what `scenario.parse_scenario` reads a `rempart-scenario/1` document with; every
refusal is a `ScenarioError` naming the file and the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from rempart.planning.problem import MAX_VALUE


class ScenarioError(ValueError):
    """A scenario file is malformed. The message names the file and the field (or line)."""

    def __init__(self, source: str, where: str, problem: str) -> None:
        self.source = source
        self.where = where
        self.problem = problem
        super().__init__(f"{source}: {where}: {problem}")


class Reader:
    """Typed access to a JSON document that names the JSON path of anything wrong."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> ScenarioError:
        return ScenarioError(self.source, where, problem)

    def obj(self, parent: dict[str, Any], key: str, path: str) -> dict[str, Any]:
        value = self.get(parent, key, path)
        if not isinstance(value, dict):
            raise self.fail(f"{path}.{key}", f"must be an object, got {type(value).__name__}")
        return value

    def get(self, parent: dict[str, Any], key: str, path: str) -> Any:
        if key not in parent:
            raise self.fail(f"{path}.{key}", "is required")
        return parent[key]

    def only(self, table: dict[str, Any], allowed: Sequence[str], path: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(
                    f"{path}.{key}", f"unknown key; expected one of {', '.join(allowed)}"
                )

    def text(self, parent: dict[str, Any], key: str, path: str) -> str:
        value = self.get(parent, key, path)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{path}.{key}", "must be a non-empty string")
        return value

    def notes(self, parent: dict[str, Any], key: str, path: str) -> str:
        """Every block of numbers must say where they come from."""
        if key not in parent:
            raise self.fail(
                f"{path}.{key}", "is required: say where each number comes from or mark it [A]"
            )
        return self.text(parent, key, path)

    def number(
        self,
        parent: dict[str, Any],
        key: str,
        path: str,
        *,
        minimum: float = 0.0,
        exclusive: bool = False,
        maximum: float | None = None,
        integer: bool = False,
    ) -> float:
        value = self.get(parent, key, path)
        return self.value(
            value,
            f"{path}.{key}",
            minimum=minimum,
            exclusive=exclusive,
            maximum=maximum,
            integer=integer,
        )

    def value(
        self,
        value: Any,
        where: str,
        *,
        minimum: float = 0.0,
        exclusive: bool = False,
        maximum: float | None = None,
        integer: bool = False,
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"must be a number, got {json.dumps(value)}")
        if not math.isfinite(value):
            raise self.fail(where, "must be finite")
        if integer and value != int(value):
            raise self.fail(where, f"must be a whole number, got {value}")
        if value < minimum or (exclusive and value == minimum):
            relation = ">" if exclusive else ">="
            raise self.fail(where, f"must be {relation} {minimum:g}, got {value:g}")
        # Without a stated maximum, the planning problem's own limit: larger figures are typing
        # errors, and the daily problems built from them would be refused mid-replay.
        limit = MAX_VALUE if maximum is None else maximum
        if value > limit:
            raise self.fail(where, f"must be <= {limit:g}, got {value:g}")
        return float(value)

    def day(self, value: Any, where: str) -> date:
        if not isinstance(value, str):
            raise self.fail(where, f"must be an ISO date (YYYY-MM-DD), got {json.dumps(value)}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(where, f"not an ISO date (YYYY-MM-DD): {value!r}") from None

    def curve(self, parent: dict[str, Any], key: str, path: str) -> tuple[tuple[date, float], ...]:
        raw = self.get(parent, key, path)
        where = f"{path}.{key}"
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, "must be a non-empty list of [date, multiplier] pairs")
        points: list[tuple[date, float]] = []
        for i, point in enumerate(raw):
            if not isinstance(point, list) or len(point) != 2:
                raise self.fail(f"{where}[{i}]", "must be a [date, multiplier] pair")
            day = self.day(point[0], f"{where}[{i}][0]")
            if points and day <= points[-1][0]:
                raise self.fail(f"{where}[{i}][0]", f"{day} is not after {points[-1][0]}")
            points.append((day, self.value(point[1], f"{where}[{i}][1]")))
        return tuple(points)
