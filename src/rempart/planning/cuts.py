"""Facility-location setup bounds x[p,t,k] <= D[p,k]·y[p,t] as cuts, added where violated.

The LP relaxation (integrality dropped) is solved with the stage's objective and fixings; every
setup bound it violates is added to both the LP and the MIP, and the LP is solved again, until
none is violated or the round or time budget runs out. The MIP then holds exactly the bounds
that shape the relaxation near its optimum, which is where their strength matters.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from rempart.planning.model import PlanModel

#: A bound counts as violated above this many vials (relative to D).
VIOLATION_TOL = 1e-6


def relaxed_copy(model: PlanModel, h_lp: highspy.Highs) -> None:
    integer = np.array([i for i, flag in enumerate(model.col_integer) if flag], dtype=np.int32)
    if len(integer):
        h_lp.changeColsIntegrality(
            len(integer), integer, np.full(len(integer), highspy.HighsVarType.kContinuous)
        )


def add_rows(h: highspy.Highs, model: PlanModel, picked: list[int]) -> None:
    for i in picked:
        x, y, demand, name = model.setup_bounds[i]
        h.addRow(
            -highspy.kHighsInf, 0.0, 2, np.array([x, y], dtype=np.int32), np.array([1.0, -demand])
        )
        h.passRowName(h.getNumRow() - 1, name)


def separate_setup_bounds(
    h_lp: highspy.Highs,
    targets: list[highspy.Highs],
    model: PlanModel,
    added: set[int],
    deadline: float,
    max_rounds: int = 30,
) -> int:
    """Add violated setup bounds to `h_lp` and every MIP in `targets`; returns how many."""
    count = 0
    for _ in range(max_rounds):
        if time.perf_counter() >= deadline:
            break
        h_lp.setOptionValue("time_limit", max(0.01, deadline - time.perf_counter()))
        h_lp.run()
        if h_lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        values = np.asarray(h_lp.getSolution().col_value)
        picked = [
            i
            for i, (x, y, demand, _) in enumerate(model.setup_bounds)
            if i not in added and values[x] > demand * values[y] + VIOLATION_TOL * max(1.0, demand)
        ]
        if not picked:
            break
        for h in (h_lp, *targets):
            add_rows(h, model, picked)
        added.update(picked)
        count += len(picked)
    return count
