"""What a solve returns: lots, allocations, fill rates, shortages with their reasons, statuses.

Plain frozen dataclasses with `to_dict()` so the CLI and a later MES board can render them
without knowing HiGHS.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Outcome of a solve. OPTIMAL only when HiGHS proved it (and our own check passed)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIME_LIMIT_NO_SOLUTION = "time_limit_no_solution"
    ERROR = "error"


class ShortageReason(StrEnum):
    """Why some demand could not be met (derived from the solved model, see reasons.py)."""

    CAPACITY = "capacity"
    QC_LEAD_TIME = "qc_lead_time"
    SHELF_LIFE = "shelf_life"
    NO_STOCK = "no_stock"
    SETUP_BUDGET = "setup_budget"


@dataclass(frozen=True, slots=True)
class StageResult:
    """One solve of the lexicographic sequence (fairness, shortage, expiry, cost)."""

    name: str
    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    time_limit_s: float


@dataclass(frozen=True, slots=True)
class ProductionLot:
    product: str
    period: int
    vials: float
    line_hours: float


@dataclass(frozen=True, slots=True)
class Flow:
    """Vials of `product` filled in `filled_period` and consumed in `consumed_period`."""

    product: str
    filled_period: int
    consumed_period: int
    vials: float


@dataclass(frozen=True, slots=True)
class LotUse:
    """Vials of an existing stock lot (on hand, quarantine, delivery) used in `period`."""

    lot_id: str
    period: int
    vials: float


@dataclass(frozen=True, slots=True)
class Allocation:
    product: str
    hospital: str
    period: int
    demand_vials: float
    from_central_vials: float
    from_own_stock_vials: float
    unmet_vials: float


@dataclass(frozen=True, slots=True)
class Shortage:
    product: str
    hospital: str
    period: int
    unmet_vials: float
    reason: ShortageReason
    detail: str


@dataclass(frozen=True, slots=True)
class FillRate:
    """Served ÷ demanded over the horizon, for one hospital (all products) and its worst product."""

    hospital: str
    fill_rate: float
    worst_product: str
    worst_product_fill_rate: float


@dataclass(frozen=True, slots=True)
class PeriodUse:
    period: int
    label: str
    regime: str
    capacity_hours: float
    used_hours: float
    #: Vial format changes made in the period (their hours are in used_hours).
    format_changes: int = 0
    #: The vial format the line ends the period in (None: unknown, nothing filled yet).
    line_format: str | None = None
    #: The format the line is set up for at the end of the period, after its lots and
    #: without filling it, for the next period (one of format_changes); None when not.
    prepared_format: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """A solved (or failed) planning problem. Empty lists when there is no solution."""

    problem_name: str
    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    stages: tuple[StageResult, ...]
    lots: tuple[ProductionLot, ...] = ()
    flows: tuple[Flow, ...] = ()
    lot_uses: tuple[LotUse, ...] = ()
    allocations: tuple[Allocation, ...] = ()
    shortages: tuple[Shortage, ...] = ()
    fill_rates: tuple[FillRate, ...] = ()
    periods: tuple[PeriodUse, ...] = ()
    min_fill_rate: float | None = None
    weighted_shortage: float | None = None
    cost: float | None = None
    #: Stock vials that reach their removal date (expiry - minimum residual) unused within
    #: the horizon, central and hospital lots together.
    expired_vials: float | None = None
    check_violations: tuple[str, ...] = ()
    messages: tuple[str, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        """The headline figures (status, objective, bound, gap, seconds, fairness)."""
        return {
            "problem": self.problem_name,
            "status": self.status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "seconds": round(self.seconds, 3),
            "min_fill_rate": self.min_fill_rate,
            "weighted_shortage": self.weighted_shortage,
            "cost": self.cost,
            "expired_vials": self.expired_vials,
            "stages": [asdict(s) for s in self.stages],
            "check_violations": list(self.check_violations),
            "messages": list(self.messages),
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready: the summary plus lots, allocations, shortages, fill rates."""
        out = self.summary()
        out["fill_rates"] = [asdict(f) for f in self.fill_rates]
        out["plan"] = {
            "lots": [asdict(lot) for lot in self.lots],
            "stock_used": [asdict(u) for u in self.lot_uses],
            "periods": [asdict(p) for p in self.periods],
            "allocations": [asdict(a) for a in self.allocations],
            "shortages": [asdict(s) for s in self.shortages],
        }
        return out
