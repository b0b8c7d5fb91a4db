"""Monte Carlo over seeds: the distribution of good vials and OEE for a scenario.

This is the capacity figure planning uses: not one run's output but its P10/P50/P90 over
many seeded days. Runs are independent, so they spread over processes; each worker loads
the scenario itself and returns only the KPIs, never a journal.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np

from rempart.twin.runner import run_scenario


def _one_run(scenario: str, seed: int, hours: float | None) -> dict[str, Any]:
    return run_scenario(scenario, seed=seed, hours=hours).kpis


def _distribution(values: list[float]) -> dict[str, float]:
    data = np.asarray(values, dtype=float)
    p10, p50, p90 = np.percentile(data, [10, 50, 90])
    return {
        "p10": round(float(p10), 4),
        "p50": round(float(p50), 4),
        "p90": round(float(p90), 4),
        "mean": round(float(data.mean()), 4),
        "min": round(float(data.min()), 4),
        "max": round(float(data.max()), 4),
    }


@dataclass(frozen=True, slots=True)
class MonteCarloSummary:
    scenario: str
    runs: int
    workers: int
    first_seed: int
    kpis: tuple[dict[str, Any], ...]
    wall_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "runs": self.runs,
            "workers": self.workers,
            "first_seed": self.first_seed,
            "vials_good": _distribution([k["vials_good"] for k in self.kpis]),
            "oee": _distribution([k["oee"] for k in self.kpis]),
            "wall_seconds": round(self.wall_seconds, 3),
        }


def run_montecarlo(
    scenario: str,
    *,
    runs: int,
    workers: int | None = None,
    first_seed: int = 1,
    hours: float | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> MonteCarloSummary:
    """Run `scenario` (name or TOML path) with seeds first_seed … first_seed+runs-1.

    `workers=None` uses every core; 1 runs in this process. Results are ordered by seed, so
    the summary does not depend on the number of workers.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    count = max(1, min(workers or os.cpu_count() or 1, runs))
    seeds = list(range(first_seed, first_seed + runs))
    started = time.perf_counter()
    by_seed: dict[int, dict[str, Any]] = {}
    if count == 1:
        for seed in seeds:
            by_seed[seed] = _one_run(scenario, seed, hours)
            if on_progress is not None:
                on_progress(len(by_seed))
    else:
        with ProcessPoolExecutor(max_workers=count) as pool:
            futures = {pool.submit(_one_run, scenario, seed, hours): seed for seed in seeds}
            for future in as_completed(futures):
                by_seed[futures[future]] = future.result()
                if on_progress is not None:
                    on_progress(len(by_seed))
    return MonteCarloSummary(
        scenario=scenario,
        runs=runs,
        workers=count,
        first_seed=first_seed,
        kpis=tuple(by_seed[s] for s in seeds),
        wall_seconds=time.perf_counter() - started,
    )
