"""How stock enters the planning model, decided before the MIP.

- each hospital's own lots serve its own demand first, first-expiry-first-out (`fefo_own_stock`);
- a product whose central lots alone meet all its net demand needs no production columns
  (`met_by_central_stock`);
- a lot whose removal date (expiry - minimum residual) falls inside the horizon can expire
  unused (`expires_in_horizon`), which the expiry objective counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from rempart.planning.problem import CENTRAL, PlanningProblem, StockLot


def fefo_own_stock(
    problem: PlanningProblem,
) -> tuple[dict[tuple[str, str], tuple[float, ...]], list[tuple[str, int, float]]]:
    """Each hospital's own stock serves its own demand first, first-expiry-first-out.

    A hospital's stock can serve nobody else, so using it for its earliest demand (earliest
    expiry first) is what the pharmacy does and leaves the central supply for the rest. It is
    decided before the MIP, which then sees the net demand: this removes one column per lot
    and period (about 10,000 on the regional demo). Returns the net demand per (hospital,
    product) and the uses (lot id, period, vials).
    """
    remaining = {lot.lot_id: lot.quantity_vials for lot in problem.lots if lot.location != CENTRAL}
    by_cell: dict[tuple[str, str], list[StockLot]] = defaultdict(list)
    for lot in problem.lots:
        if lot.location != CENTRAL:
            by_cell[lot.location, lot.product].append(lot)
    net: dict[tuple[str, str], tuple[float, ...]] = {}
    uses: list[tuple[str, int, float]] = []
    for (h, p), series in problem.demand.items():
        lots = sorted(
            by_cell.get((h, p), []),
            key=lambda lot: (lot.expiry_day is None, lot.expiry_day or 0.0, lot.lot_id),
        )
        windows = {lot.lot_id: problem.lot_window(lot) for lot in lots}
        out = list(series)
        for k in range(len(out)):
            for lot in lots:
                if out[k] <= 0:
                    break
                take = min(out[k], remaining[lot.lot_id]) if k in windows[lot.lot_id] else 0.0
                if take > 0:
                    remaining[lot.lot_id] -= take
                    out[k] -= take
                    uses.append((lot.lot_id, k, take))
        net[h, p] = tuple(out)
    return net, uses


def met_by_central_stock(
    problem: PlanningProblem, demand: Mapping[tuple[str, int], float]
) -> set[str]:
    """Products whose central lots alone can meet every period's net demand (`demand`).

    Filling such a product can only cost line hours and money: a plan that serves it from
    stock and fills nothing is at least as good in every objective (fill rate 1, no shortage,
    no cost). So it gets no production columns (on the regional demo: midazolam,
    norepinephrine and ketamine, delivered weekly). The check serves periods in order, each
    from the usable lot that leaves the window first, which is exact for lots usable over
    an interval of periods.
    """
    met: set[str] = set()
    for product in problem.products:
        p = product.code
        left = {
            lot.lot_id: lot.quantity_vials
            for lot in problem.lots
            if lot.product == p and lot.location == CENTRAL and lot.quantity_vials > 0
        }
        windows = {
            lot.lot_id: problem.lot_window(lot) for lot in problem.lots if lot.lot_id in left
        }
        by_last = sorted(left, key=lambda lot_id: (windows[lot_id].stop, lot_id))
        for k in range(problem.n_periods):
            need = demand.get((p, k), 0.0)
            for lot_id in by_last:
                if need <= 0:
                    break
                if k in windows[lot_id]:
                    take = min(need, left[lot_id])
                    left[lot_id] -= take
                    need -= take
            if need > 1e-9:
                break  # period k goes short: the product needs the line
        else:
            met.add(p)
    return met


def expires_in_horizon(problem: PlanningProblem, lot: StockLot) -> bool:
    """True when the lot reaches its removal date (expiry - minimum residual) in the horizon."""
    window = problem.lot_window(lot)
    return lot.quantity_vials > 0 and len(window) > 0 and window[-1] < problem.n_periods - 1
