"""The covid-2020 crisis replay (issue 10): wall time and headline figures, seed 1.

`--quick` runs the file's short variant (24 days, 3 products) twice and checks that the
figures are identical; the full run replays the 92 days with the ten products once. No
target is set by the issue: the wall time is reported so that changes to the planner show.
"""

from __future__ import annotations

import argparse
import time
from typing import Any


def run(args: argparse.Namespace) -> dict[str, Any]:
    from rempart.planning.replay import run as replay

    quick = bool(getattr(args, "quick", False))
    runs = 2 if quick else 1
    results = []
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        result = replay("covid-2020", seed=1, quick=quick)
        walls.append(round(time.perf_counter() - started, 2))
        results.append(result)
        print(f"   {result.days} days in {walls[-1]:.1f} s", flush=True)
    first = results[0]
    out: dict[str, Any] = {
        "scenario": "covid-2020",
        "seed": 1,
        "quick": quick,
        "days": first.days,
        "products": list(first.products),
        "wall_seconds_each": walls,
        "solves": first.solves,
        "solves_not_proven_within_gap": first.solves_at_time_limit,
        "figures": first.figures(),
    }
    if quick:
        out["reproducible"] = all(r.figures() == first.figures() for r in results)
    return out
