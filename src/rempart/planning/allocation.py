"""Max-min fair split of the central supply among hospitals, once production is decided.

The MIP shares each product-period's unmet demand in proportion to net demand (one column per
product and period keeps it small). That rule ignores that some hospitals hold their own stock,
so after the solve each product gets a small LP that redistributes the *same* central vials of
each period among hospitals to maximise the minimum fill rate over the horizon:

    max mu  s.t.  sum_h a[h,k] = S[k]            (the central vials released in period k)
                  0 <= a[h,k] <= net[h,k]        (no hospital gets more than it asked for)
                  own[h] + sum_k a[h,k] >= mu·D[h]   for every hospital h with demand

then, with mu fixed, minimises the deviation from the proportional split so that periods are
not shuffled without reason. Production, stock use and total unmet demand stay as they were,
so stages 2 and 3 of the lexicographic objective are unchanged, and stage 1 can only improve.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import highspy
import numpy as np

from rempart.planning.highs import new_highs
from rempart.planning.plan import Allocation


def _rebalance_product(cells: list[Allocation]) -> list[Allocation]:
    hospitals = sorted({a.hospital for a in cells})
    demand = {h: sum(a.demand_vials for a in cells if a.hospital == h) for h in hospitals}
    own = {h: sum(a.from_own_stock_vials for a in cells if a.hospital == h) for h in hospitals}
    supply: dict[int, float] = defaultdict(float)
    for a in cells:
        supply[a.period] += a.from_central_vials
    h_model = new_highs()
    n = len(cells)
    mu = n
    # columns: a[cell] for each cell, then mu, then deviation d+ and d- per cell
    lower = [0.0] * n + [0.0] + [0.0] * (2 * n)
    upper = (
        [a.demand_vials - a.from_own_stock_vials for a in cells]
        + [1.0]
        + [highspy.kHighsInf] * (2 * n)
    )
    cost = [0.0] * n + [-1.0] + [0.0] * (2 * n)
    h_model.addVars(len(lower), np.array(lower), np.array(upper))
    h_model.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), np.array(cost))
    by_period: dict[int, list[int]] = defaultdict(list)
    by_hospital: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(cells):
        by_period[a.period].append(i)
        by_hospital[a.hospital].append(i)
    for k, idx in by_period.items():
        h_model.addRow(
            supply[k], supply[k], len(idx), np.array(idx, dtype=np.int32), np.ones(len(idx))
        )
    for h, idx in by_hospital.items():
        if demand[h] <= 0:
            continue
        cols = np.array([*idx, mu], dtype=np.int32)
        vals = np.array([1.0] * len(idx) + [-demand[h]])
        h_model.addRow(-own[h], highspy.kHighsInf, len(cols), cols, vals)
    h_model.run()
    if h_model.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return cells
    best_mu = float(h_model.getSolution().col_value[mu])
    h_model.changeColBounds(mu, max(0.0, best_mu - 1e-9), 1.0)
    for i, a in enumerate(cells):
        # a[i] - d+[i] + d-[i] = proportional allocation; minimise |deviation|
        cols = np.array([i, n + 1 + i, n + 1 + n + i], dtype=np.int32)
        h_model.addRow(
            a.from_central_vials, a.from_central_vials, 3, cols, np.array([1.0, -1.0, 1.0])
        )
    cost = [0.0] * (n + 1) + [1.0] * (2 * n)
    h_model.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), np.array(cost))
    h_model.run()
    if h_model.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return cells
    values = h_model.getSolution().col_value
    out = []
    for i, a in enumerate(cells):
        central = min(max(float(values[i]), 0.0), a.demand_vials - a.from_own_stock_vials)
        unmet = a.demand_vials - a.from_own_stock_vials - central
        out.append(
            replace(a, from_central_vials=central, unmet_vials=unmet if unmet > 1e-6 else 0.0)
        )
    return out


def rebalance(allocations: list[Allocation]) -> list[Allocation]:
    """Allocations with the same central supply per product-period, max-min fair over hospitals."""
    by_product: dict[str, list[Allocation]] = defaultdict(list)
    for a in allocations:
        by_product[a.product].append(a)
    out: list[Allocation] = []
    for cells in by_product.values():
        needs_split = any(a.unmet_vials > 0 for a in cells) and len({a.hospital for a in cells}) > 1
        out.extend(_rebalance_product(cells) if needs_split else cells)
    return out
