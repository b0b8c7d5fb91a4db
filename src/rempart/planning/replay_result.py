"""What a crisis replay returns: per day, per product and per hospital, and the totals.

Plain frozen dataclasses, built by replay.py and read by the CLI, the benchmarks and the tests;
`ReplayResult.to_dict` gives the JSON the CLI prints. No Django here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RationLine:
    """One hospital's request for one product on one day, and what PPA gave it."""

    hospital: str
    demand_vials: float
    from_own_stock_vials: float
    requested_vials: float
    allocated_vials: float


@dataclass(frozen=True, slots=True)
class ProductDay:
    """One product on one day at the central pharmacy."""

    product: str
    supply_vials: float
    allocated_vials: float
    lines: tuple[RationLine, ...]


@dataclass(frozen=True, slots=True)
class DayRecord:
    day: int
    date: str
    regime: str
    vials_filled: float
    vials_released: float
    delivered_vials: float
    demand_vials: float
    served_vials: float
    products: tuple[ProductDay, ...]
    solve_status: str = ""
    solve_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one arm of the replay (with the line, or the baseline) achieved."""

    label: str
    demand_vials: float
    served_vials: float
    regional_fill_rate: float
    min_hospital_fill_rate: float
    min_hospital: str
    hospital_fill_rates: dict[str, float]
    product_fill_rates: dict[str, float]
    crisis_days: int
    vials_made: float
    vials_expired: float
    days: tuple[DayRecord, ...] = field(repr=False)

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "days"}
        return out


@dataclass(frozen=True, slots=True)
class ReplayResult:
    scenario: str
    seed: int
    quick: bool
    start: str
    end: str
    days: int
    products: tuple[str, ...]
    hospitals: int
    with_line: Outcome
    baseline: Outcome
    seconds: float
    solves: int
    solves_at_time_limit: int
    solves_failed: int
    solves_check_failed: int
    crisis_switch_ons_deferred: int

    def to_dict(self, daily: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "seed": self.seed,
            "quick": self.quick,
            "start": self.start,
            "end": self.end,
            "days": self.days,
            "products": list(self.products),
            "hospitals": self.hospitals,
            "seconds": round(self.seconds, 2),
            "solves": self.solves,
            "solves_at_time_limit": self.solves_at_time_limit,
            "solves_failed": self.solves_failed,
            "solves_check_failed": self.solves_check_failed,
            "crisis_switch_ons_deferred": self.crisis_switch_ons_deferred,
            "with_line": self.with_line.summary(),
            "baseline": self.baseline.summary(),
        }
        if daily:
            for key, outcome in (("with_line", self.with_line), ("baseline", self.baseline)):
                out[key]["daily"] = [
                    {
                        "day": d.day,
                        "date": d.date,
                        "regime": d.regime,
                        "vials_filled": d.vials_filled,
                        "vials_released": d.vials_released,
                        "delivered_vials": d.delivered_vials,
                        "demand_vials": round(d.demand_vials, 1),
                        "served_vials": round(d.served_vials, 1),
                        "solve_status": d.solve_status,
                    }
                    for d in outcome.days
                ]
        return out

    def figures(self) -> dict[str, Any]:
        """The headline figures only (what reproducibility is checked on)."""
        return {
            arm: {
                "regional_fill_rate": o.regional_fill_rate,
                "min_hospital_fill_rate": o.min_hospital_fill_rate,
                "crisis_days": o.crisis_days,
                "vials_made": o.vials_made,
                "served_vials": o.served_vials,
            }
            for arm, o in (("with_line", self.with_line), ("baseline", self.baseline))
        }
