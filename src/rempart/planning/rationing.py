"""Projected proportional allocation (PPA): ration short stock across requests as they arrive.

Manshadi, Niazadeh & Rodilitz, "Fair Dynamic Rationing", Management Science 69(11):6818-6836,
2023. Requests arrive one at a time and each gets an irrevocable allocation. PPA gives request
t the share

    fill_t = min(1, remaining supply ÷ (demand_t + expected demand of the requests still to come))

of its demand, i.e. it splits what is left in proportion between this request and the
*projected* remaining demand (only the conditional expectation is needed, no distribution).
Properties (tested in tests/planning/test_rationing.py): allocations never exceed the demand or
the remaining supply; with exact expectations every request gets the same fill rate
min(1, supply ÷ total demand), which is the best possible minimum fill rate, and supply runs
out no earlier than the last request; more supply never gives a request less.

Pure functions, no solver: the distribution service calls `ration()` for each order it must
cut, and stores the returned reason with the allocation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RationRequest:
    """One order as it arrives, with the expected demand still to come after it."""

    request_id: str
    demand_vials: float
    expected_later_vials: float


@dataclass(frozen=True, slots=True)
class RationDecision:
    request_id: str
    demand_vials: float
    allocated_vials: float
    fill_rate: float
    supply_before_vials: float
    supply_after_vials: float
    reason: str


def _check(value: float, name: str, request_id: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"request {request_id}: {name} must be a finite number >= 0, got {value}")


def ppa_fill_rate(supply_vials: float, demand_vials: float, expected_later_vials: float) -> float:
    """The PPA share for one request: min(1, supply ÷ (demand + expected later demand))."""
    projected = demand_vials + expected_later_vials
    if projected <= 0:
        return 1.0
    return min(1.0, max(0.0, supply_vials) / projected)


def ration(supply_vials: float, request: RationRequest) -> RationDecision:
    """Allocate to one request from `supply_vials` remaining, with the reason in words."""
    _check(supply_vials, "supply", request.request_id)
    _check(request.demand_vials, "demand", request.request_id)
    _check(request.expected_later_vials, "expected later demand", request.request_id)
    fill = ppa_fill_rate(supply_vials, request.demand_vials, request.expected_later_vials)
    allocated = min(request.demand_vials * fill, supply_vials)
    if request.demand_vials <= 0:
        reason = "nothing requested"
    elif fill >= 1.0:
        reason = (
            f"served in full: {supply_vials:g} vials left cover this request "
            f"({request.demand_vials:g}) and the {request.expected_later_vials:g} expected after it"
        )
    elif supply_vials <= 0:
        reason = "no stock left"
    else:
        reason = (
            f"rationed to {fill:.1%} (PPA): {supply_vials:g} vials left ÷ (this request "
            f"{request.demand_vials:g} + {request.expected_later_vials:g} expected after it)"
        )
    return RationDecision(
        request.request_id,
        request.demand_vials,
        allocated,
        allocated / request.demand_vials if request.demand_vials > 0 else 1.0,
        supply_vials,
        supply_vials - allocated,
        reason,
    )


def ration_sequence(supply_vials: float, requests: Sequence[RationRequest]) -> list[RationDecision]:
    """Apply PPA to requests in arrival order, carrying the remaining supply forward."""
    decisions = []
    remaining = supply_vials
    for request in requests:
        decision = ration(remaining, request)
        decisions.append(decision)
        remaining = decision.supply_after_vials
    return decisions


def with_exact_expectations(
    demands: Sequence[tuple[str, float]],
) -> list[RationRequest]:
    """Requests whose expected later demand is the true sum of the later demands."""
    later = [sum(d for _, d in demands[i + 1 :]) for i in range(len(demands))]
    return [RationRequest(rid, d, rest) for (rid, d), rest in zip(demands, later, strict=True)]
