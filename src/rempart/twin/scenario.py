"""Scenarios: TOML files with comments that set the line's parameters, shifts and batches.

A scenario is data, not code. It overrides any parameter of `LineParams` (nested tables
follow the dataclasses: `[line.stations.filling]`, `[line.durations]`...), lists the shift
pattern and the batches the simulated operator runs. Every problem is reported as a
`ScenarioError` naming the file, the key and what is wrong; nothing is guessed.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import tomllib
import typing
from dataclasses import dataclass
from datetime import datetime, time
from importlib import resources
from pathlib import Path
from typing import Any

from rempart.domain.catalog import VIAL_FORMATS, demo_products
from rempart.domain.errors import DomainError
from rempart.twin.errors import ScenarioError
from rempart.twin.operator import OperatorPlan, OrderSpec
from rempart.twin.params import LineParams
from rempart.twin.shifts import Shift

_TOP_LEVEL = ("scenario", "line", "shifts", "operator", "batches")
_SCENARIO_KEYS = ("name", "description", "start", "hours", "seed", "batch_prefix")


#: The longest simulated run: a leap year. Longer runs are typing errors (a run of 1e12 hours
#: overflowed the calendar), and a year already takes minutes of wall time.
MAX_HOURS = 24 * 366
#: Seeds are non-negative (numpy's generators refuse others) and fit a signed 64-bit integer.
MAX_SEED = 2**63 - 1


def hours_problem(hours: float) -> str | None:
    """Why `hours` cannot be a run's length, or None when it can."""
    if not math.isfinite(hours) or hours <= 0:
        return "must be a finite number greater than 0"
    if hours > MAX_HOURS:
        return f"must be at most {MAX_HOURS} (a year)"
    return None


def seed_problem(seed: int) -> str | None:
    """Why `seed` cannot seed a run, or None when it can."""
    if not 0 <= seed <= MAX_SEED:
        return f"must be between 0 and {MAX_SEED}"
    return None


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    source: str
    start: datetime
    hours: float
    seed: int
    line: LineParams
    shifts: tuple[Shift, ...]
    plan: OperatorPlan
    #: What `load_scenario` takes to load it again (worker processes do): name or path.
    reference: str = ""


def packaged_scenarios() -> list[str]:
    """Names of the scenarios shipped inside the package."""
    folder = resources.files("rempart.twin") / "scenarios"
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A packaged scenario by name (`normal-day`) or any TOML file by path."""
    text_ref = str(name_or_path)
    looks_like_path = text_ref.endswith(".toml") or "/" in text_ref or Path(text_ref).is_file()
    if isinstance(name_or_path, Path) or looks_like_path:
        path = Path(name_or_path)
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(str(path), "(file)", exc.strerror or str(exc)) from None
        return dataclasses.replace(parse_scenario(raw, source=str(path)), reference=str(path))
    if text_ref not in packaged_scenarios():
        known = ", ".join(packaged_scenarios())
        raise ScenarioError(text_ref, "(name)", f"no such scenario; packaged: {known}")
    resource = resources.files("rempart.twin") / "scenarios" / f"{text_ref}.toml"
    scenario = parse_scenario(resource.read_text(encoding="utf-8"), source=f"{text_ref}.toml")
    return dataclasses.replace(scenario, reference=text_ref)


def parse_scenario(text: str, *, source: str) -> Scenario:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "(syntax)", str(exc)) from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ScenarioError(source, "(syntax)", "arrays or tables nested too deeply") from None
    _only(doc, _TOP_LEVEL, "", source)
    head = _table(doc, "scenario", source)
    _only(head, _SCENARIO_KEYS, "scenario.", source)
    name = _typed(head, "name", str, "scenario.", source, default=Path(source).stem)
    start = head.get("start")
    if not isinstance(start, datetime) or start.utcoffset() is None:
        raise ScenarioError(
            source, "scenario.start", "a date-time with its offset, e.g. 2026-01-05T00:00:00Z"
        )
    hours = float(_typed(head, "hours", float, "scenario.", source))
    if (problem := hours_problem(hours)) is not None:
        raise ScenarioError(source, "scenario.hours", problem)
    seed = int(_typed(head, "seed", int, "scenario.", source, default=1))
    if (problem := seed_problem(seed)) is not None:
        raise ScenarioError(source, "scenario.seed", problem)
    line = _override(LineParams(), _table(doc, "line", source, required=False), "line", source)
    operator = _table(doc, "operator", source, required=False)
    _only(operator, ("repeat",), "operator.", source)
    plan = OperatorPlan(
        orders=_orders(doc.get("batches", []), source),
        repeat=bool(_typed(operator, "repeat", bool, "operator.", source, default=False)),
        batch_prefix=_typed(head, "batch_prefix", str, "scenario.", source, default="B"),
    )
    return Scenario(
        name=name,
        description=_typed(head, "description", str, "scenario.", source, default=""),
        source=source,
        start=start,
        hours=hours,
        seed=seed,
        line=line,
        shifts=_shifts(doc.get("shifts", []), source),
        plan=plan,
    )


def _only(table: dict[str, Any], allowed: tuple[str, ...], prefix: str, source: str) -> None:
    for key in table:
        if key not in allowed:
            raise ScenarioError(
                source, f"{prefix}{key}", f"unknown key; expected one of: {', '.join(allowed)}"
            )


def _table(doc: dict[str, Any], key: str, source: str, *, required: bool = True) -> dict[str, Any]:
    value = doc.get(key)
    if value is None:
        if required:
            raise ScenarioError(source, key, "missing table")
        return {}
    if not isinstance(value, dict):
        raise ScenarioError(source, key, "must be a table")
    return value


def _typed(
    table: dict[str, Any], key: str, kind: type, prefix: str, source: str, default: Any = ...
) -> Any:
    if key not in table:
        if default is ...:
            raise ScenarioError(source, f"{prefix}{key}", "missing")
        return default
    return _coerce(table[key], kind, f"{prefix}{key}", source)


def _coerce(value: Any, kind: Any, key: str, source: str) -> Any:
    origin = typing.get_origin(kind)
    if origin is tuple:
        (item,) = {a for a in typing.get_args(kind) if a is not Ellipsis}
        if not isinstance(value, list):
            raise ScenarioError(source, key, f"expected a list, got {type(value).__name__}")
        return tuple(_coerce(v, item, f"{key}[{i}]", source) for i, v in enumerate(value))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError:
            options = ", ".join(str(m.value) for m in kind)
            raise ScenarioError(source, key, f"{value!r} is not one of {options}") from None
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, int | float) and not isinstance(value, bool),
        str: isinstance(value, str),
    }.get(kind)
    if ok is None:
        raise ScenarioError(source, key, f"cannot be set from a scenario ({kind})")
    if not ok:
        raise ScenarioError(source, key, f"expected {kind.__name__}, got {type(value).__name__}")
    return float(value) if kind is float else value


def _override(instance: Any, table: dict[str, Any], path: str, source: str) -> Any:
    """A copy of the dataclass `instance` with the keys of `table` replaced, recursively."""
    hints = typing.get_type_hints(type(instance))
    names = [f.name for f in dataclasses.fields(instance)]
    changes: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{path}.{key}"
        if key not in names:
            raise ScenarioError(source, where, f"unknown key; expected one of: {', '.join(names)}")
        current = getattr(instance, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ScenarioError(source, where, "must be a table")
            changes[key] = _override(current, value, where, source)
        else:
            changes[key] = _coerce(value, hints[key], where, source)
    try:
        return dataclasses.replace(instance, **changes)
    except DomainError as exc:
        raise ScenarioError(source, f"{path}.{exc.field or '?'}", exc.message) from None


def _clock(value: Any, key: str, source: str) -> time:
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise ScenarioError(source, key, f'expected a time of day like "07:00", got {value!r}')


def _shifts(raw: Any, source: str) -> tuple[Shift, ...]:
    if not isinstance(raw, list):
        raise ScenarioError(source, "shifts", "must be an array of tables ([[shifts]])")
    shifts = []
    for i, item in enumerate(raw):
        key = f"shifts[{i}]"
        if not isinstance(item, dict):
            raise ScenarioError(source, key, "must be a table")
        _only(item, ("name", "days", "start", "end"), f"{key}.", source)
        try:
            shifts.append(
                Shift(
                    name=_typed(item, "name", str, f"{key}.", source),
                    days=_typed(item, "days", tuple[str, ...], f"{key}.", source),
                    start=_clock(item.get("start"), f"{key}.start", source),
                    end=_clock(item.get("end"), f"{key}.end", source),
                )
            )
        except DomainError as exc:
            if isinstance(exc, ScenarioError):
                raise
            raise ScenarioError(source, f"{key}.{exc.field}", exc.message) from None
    return tuple(shifts)


def _orders(raw: Any, source: str) -> tuple[OrderSpec, ...]:
    if not isinstance(raw, list):
        raise ScenarioError(source, "batches", "must be an array of tables ([[batches]])")
    products = {p.code: p for p in demo_products()}
    orders = []
    for i, item in enumerate(raw):
        key = f"batches[{i}]"
        if not isinstance(item, dict):
            raise ScenarioError(source, key, "must be a table")
        _only(item, ("product", "quantity", "vial_format"), f"{key}.", source)
        code = _typed(item, "product", str, f"{key}.", source)
        if code not in products:
            known = ", ".join(sorted(products))
            raise ScenarioError(
                source, f"{key}.product", f"unknown product {code!r}; known: {known}"
            )
        product = products[code]
        fmt_code = _typed(
            item, "vial_format", str, f"{key}.", source, default=product.vial_format.code
        )
        if fmt_code not in VIAL_FORMATS:
            known = ", ".join(VIAL_FORMATS)
            raise ScenarioError(
                source, f"{key}.vial_format", f"unknown format {fmt_code!r}; known: {known}"
            )
        quantity = _typed(item, "quantity", int, f"{key}.", source)
        if quantity < 1:
            raise ScenarioError(source, f"{key}.quantity", "must be at least 1")
        orders.append(OrderSpec(product, VIAL_FORMATS[fmt_code], quantity))
    return tuple(orders)
