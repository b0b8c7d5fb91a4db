"""What the board shows of a plan, computed from its JSON (`Plan.to_dict()`).

Per hospital × product: demand, served, **fill rate** (served ÷ demand over the horizon) and
**days of cover** — the days from the first day of the horizon until the first day the plan
leaves some of the demand unmet (the whole horizon when it never does; shown as "≥ N").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Unmet vials below this are the solver's tolerance, not a shortage (reasons.py uses 1e-3).
UNMET_EPSILON = 1e-3


@dataclass(frozen=True, slots=True)
class Cover:
    hospital: str
    product: str
    demand_vials: float
    served_vials: float
    fill_rate: float | None
    days_of_cover: float
    whole_horizon: bool


def cover_table(plan: dict[str, Any], period_days: float, n_periods: int) -> list[Cover]:
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for a in plan.get("plan", {}).get("allocations", []):
        by_pair.setdefault((a["hospital"], a["product"]), []).append(a)
    rows = []
    for (hospital, product), allocations in sorted(by_pair.items()):
        allocations.sort(key=lambda a: a["period"])
        demand = sum(a["demand_vials"] for a in allocations)
        unmet = sum(a["unmet_vials"] for a in allocations)
        first_short = next(
            (a["period"] for a in allocations if a["unmet_vials"] > UNMET_EPSILON), None
        )
        whole = first_short is None
        covered = n_periods if first_short is None else int(first_short)
        rows.append(
            Cover(
                hospital,
                product,
                demand,
                demand - unmet,
                (demand - unmet) / demand if demand > 0 else None,
                covered * period_days,
                whole,
            )
        )
    return rows


def regime_days(plan: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for use in plan.get("plan", {}).get("periods", []):
        counts[use["regime"]] = counts.get(use["regime"], 0) + 1
    return counts


def shortages(plan: dict[str, Any], labels: list[str]) -> list[dict[str, Any]]:
    rows = []
    for s in plan.get("plan", {}).get("shortages", []):
        period = int(s["period"])
        rows.append({**s, "day": labels[period] if period < len(labels) else str(period)})
    return sorted(rows, key=lambda s: (s["period"], s["product"], s["hospital"]))
