"""Sharing short stock among open order lines, with the reason each hospital reads.

Pure (no Django): the service gathers the open lines of one product and the shippable
central stock, and stores what this returns. The share itself is the planning package's
projected proportional allocation (`rempart.planning.rationing`, DOMAIN.md §8); this module
only decides the order requests are taken in and turns shares into whole vials.

Rule for urgent orders (documented in docs/distribution.md): urgent lines are served first,
sharing the whole stock among themselves by PPA; the non-urgent lines then share what is
left by PPA. Within each group lines are taken in order of arrival, and each request's
expected later demand is the exact sum of the lines after it in its group, so every line
of a group gets the same fill rate (PPA with exact expectations). Shares are rounded down
to whole vials; the vials rounding frees are carried to the lines after, so nothing is left
on the shelf while a line is short.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rempart.planning.rationing import RationRequest, ration


@dataclass(frozen=True, slots=True)
class Demand:
    line_id: int
    hospital: str
    quantity: int
    urgent: bool


@dataclass(frozen=True, slots=True)
class Allocated:
    line_id: int
    quantity: int
    reason: str


def allocate(supply: int, demands: Sequence[Demand]) -> list[Allocated]:
    """Whole-vial allocations for `demands` (in arrival order) from `supply` vials."""
    if supply < 0:
        raise ValueError("supply cannot be negative")
    total = sum(d.quantity for d in demands)
    if total <= supply:
        return [
            Allocated(
                d.line_id,
                d.quantity,
                f"served in full: {supply} vials cover all open orders ({total})",
            )
            for d in demands
        ]
    out: list[Allocated] = []
    remaining = supply
    for urgent in (True, False):
        group = [d for d in demands if d.urgent is urgent]
        for index, demand in enumerate(group):
            later = sum(d.quantity for d in group[index + 1 :])
            decision = ration(
                float(remaining), RationRequest(str(demand.line_id), demand.quantity, later)
            )
            given = min(demand.quantity, remaining, math.floor(decision.allocated_vials + 1e-9))
            # The last line of a group takes the vials rounding freed, up to its demand.
            if later == 0:
                given = min(demand.quantity, remaining)
            remaining -= given
            prefix = "urgent order, served before non-urgent orders; " if urgent else ""
            if not urgent and any(d.urgent for d in demands):
                prefix = "after urgent orders; "
            out.append(
                Allocated(
                    demand.line_id,
                    given,
                    f"{prefix}{decision.reason}; {given} of {demand.quantity} vials "
                    f"(stock {supply}, open orders {total})",
                )
            )
    order = {d.line_id: i for i, d in enumerate(demands)}
    return sorted(out, key=lambda a: order[a.line_id])
