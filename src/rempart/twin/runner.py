"""Run a scenario headless: build the line and its operator, advance to the horizon, KPIs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rempart.twin.kpi import compute_kpis
from rempart.twin.line import FillingLine
from rempart.twin.operator import ScenarioOperator
from rempart.twin.scenario import Scenario, load_scenario
from rempart.twin.shifts import ShiftCalendar


@dataclass(frozen=True, slots=True)
class RunResult:
    scenario: Scenario
    seed: int
    line: FillingLine
    kpis: dict[str, Any]
    wall_seconds: float


def build_line(scenario: Scenario, seed: int, hours: float | None = None) -> FillingLine:
    """A line with the scenario's operator attached, at simulated time 0."""
    horizon_s = (hours if hours is not None else scenario.hours) * 3600.0
    line = FillingLine(scenario.line, seed=seed, start=scenario.start)
    calendar = ShiftCalendar(scenario.shifts, scenario.start, horizon_s)
    ScenarioOperator(line, scenario.plan, calendar)
    return line


def run_scenario(
    scenario: Scenario | str | Path, *, seed: int | None = None, hours: float | None = None
) -> RunResult:
    """Run to the horizon (`hours`, or the scenario's own) and compute the KPIs."""
    chosen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    run_seed = chosen.seed if seed is None else seed
    horizon_h = chosen.hours if hours is None else hours
    if horizon_h <= 0:
        raise ValueError("hours must be greater than 0")
    started = time.perf_counter()
    line = build_line(chosen, run_seed, horizon_h)
    horizon_s = horizon_h * 3600.0
    line.run_until(horizon_s)
    planned_s = ShiftCalendar(chosen.shifts, chosen.start, horizon_s).staffed_seconds(horizon_s)
    kpis = compute_kpis(line, planned_s)
    return RunResult(chosen, run_seed, line, kpis, time.perf_counter() - started)
