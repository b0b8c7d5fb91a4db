"""Why a demand went unmet: a reason read off the solved model, in words a pharmacist can check.

For unmet demand of product p at hospital h in period k, the only vials that could have served
it were stock usable in k, or vials filled in a period t of the window
`k - (shelf life - minimum residual) <= t <= k - L_QC`. The reason is the first that holds:

1. `qc_lead_time`: the window is empty because k < L_QC (nothing filled from now on is
   released in time), and the stock usable in k is used up;
2. `setup_budget`: some period of the window still has spare line hours, but fewer than a new
   lot of p needs (its setup time, a format changeover, its minimum batch);
3. `shelf_life`: every period of the window is full, but an earlier period had room: vials
   filled then would be past their usable life (expiry minus minimum residual) by period k;
4. `capacity`: every period of the window is full (its capacity row is binding, slack ≈ 0)
   in the regime the plan runs; the detail names those periods;
5. `no_stock`: spare room exists in the window yet the demand is unmet, i.e. the plan keeps the
   vials for fairness or more critical demand; no supply is left for this cell.

Slacks come from the solution (hours used vs the chosen regime's hours), so the reasons are
exactly as explainable as the capacity table the plan prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rempart.planning.plan import Allocation, PeriodUse, Shortage, ShortageReason
from rempart.planning.problem import PlanningProblem, PlanProduct

if TYPE_CHECKING:
    from rempart.planning.model import PlanModel

#: Spare line hours below this count as a full period (binding capacity row).
HOURS_EPSILON = 1e-6
#: Unmet demand below a thousandth of a vial is the lexicographic tolerance, not a shortage.
REPORTED_SHORTAGE_MIN_VIALS = 1e-3


def _ranges(periods: list[int]) -> str:
    if not periods:
        return "none"
    spans: list[str] = []
    start = prev = periods[0]
    for t in [*periods[1:], None]:
        if t is not None and t == prev + 1:
            prev = t
            continue
        spans.append(f"{start}" if start == prev else f"{start}-{prev}")
        if t is not None:
            start = prev = t
    return ", ".join(spans)


def explain_shortages(
    problem: PlanningProblem,
    allocations: list[Allocation],
    periods: list[PeriodUse],
    model: PlanModel,
    values: np.ndarray,
) -> list[Shortage]:
    spare = [u.capacity_hours - u.used_hours for u in periods]
    has_lot = {key for key, col in model.setup.items() if values[col] > 0.5}
    formats_used = {(problem.product(p).vial_format, t) for (p, t) in has_lot if model.format_used}
    shortages = []
    for a in allocations:
        if a.unmet_vials < REPORTED_SHORTAGE_MIN_VIALS:
            continue
        product = problem.product(a.product)
        lag = problem.release_lag_periods(product)
        span = problem.usable_span_periods(product)
        k = a.period
        last = k - lag
        first = 0 if span is None else max(0, k - span)
        hpv = product.line_hours_per_vial

        def new_lot_hours(t: int, product: PlanProduct = product) -> float:
            hours = product.line_hours_per_vial * max(1.0, product.min_batch_vials)
            if (product.code, t) not in has_lot:
                hours += product.setup_hours
                in_format_already = (
                    periods[t].format_changes == 0
                    and periods[t].line_format == product.vial_format
                    and not any(t == q for _, q in formats_used)
                ) or periods[t].prepared_format == product.vial_format  # its change is made
                if (
                    model.format_used
                    and (product.vial_format, t) not in formats_used
                    and not in_format_already
                ):
                    hours += problem.format_change_hours
            return hours

        if last < 0:
            reason = ShortageReason.QC_LEAD_TIME
            detail = (
                f"vials filled from period 0 are released only from period {lag} "
                f"(QC lead time {product.qc_lead_time_days:g} d); stock usable in period {k} "
                "is used up"
            )
        else:
            window = list(range(first, last + 1))
            roomy = [t for t in window if spare[t] > new_lot_hours(t) - HOURS_EPSILON]
            some_room = [t for t in window if spare[t] > hpv - HOURS_EPSILON]
            earlier = [t for t in range(0, first) if spare[t] > new_lot_hours(t) - HOURS_EPSILON]
            regimes = sorted({periods[t].regime for t in window})
            if roomy:
                reason = ShortageReason.NO_STOCK
                detail = (
                    f"periods {_ranges(roomy)} had room, but the plan keeps the supply for "
                    "fairness or more critical demand; no vial is left for this request"
                )
            elif some_room:
                t = some_room[0]
                reason = ShortageReason.SETUP_BUDGET
                detail = (
                    f"period {t} has {spare[t]:.2f} h spare, less than the "
                    f"{new_lot_hours(t):.2f} h a lot of {product.code} needs "
                    "(setup, format change, minimum batch)"
                )
            elif earlier:
                reason = ShortageReason.SHELF_LIFE
                detail = (
                    f"periods {_ranges(earlier)} had room, but vials filled then would be "
                    f"past expiry minus {product.min_residual_days:g} d residual by period {k}"
                )
            else:
                reason = ShortageReason.CAPACITY
                detail = (
                    f"capacity is fully used in periods {_ranges(window)} "
                    f"(regime {', '.join(regimes)}), the only periods whose vials are "
                    f"released by period {k} and still usable"
                )
        shortages.append(Shortage(a.product, a.hospital, k, a.unmet_vials, reason, detail))
    return shortages
