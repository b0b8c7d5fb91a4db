"""Small hand-checkable problems shared by the planning tests."""

from __future__ import annotations

from collections.abc import Mapping

from rempart.planning.problem import PlanHospital, PlanningProblem, PlanProduct, Regime, StockLot

#: The product of `tiny_problem` unless one is given: 1 h per vial, no setup time.
DEFAULT_PRODUCT = PlanProduct(
    code="P",
    criticality=5,
    line_hours_per_vial=1.0,
    setup_hours=0.0,
    vial_format="V5",
    setup_cost=100.0,
    holding_cost_per_vial_period=1.0,
)


def tiny_problem(
    demand: Mapping[tuple[str, str], tuple[float, ...]],
    capacity_hours: tuple[float, ...],
    *,
    product: PlanProduct | None = None,
    lots: tuple[StockLot, ...] = (),
    allow_unmet: bool = True,
) -> PlanningProblem:
    """One product `P` (1 h per vial unless given), hospitals named in `demand`, one regime."""
    product = product or DEFAULT_PRODUCT
    hospitals = sorted({h for h, _ in demand})
    return PlanningProblem(
        name="tiny",
        period_days=1.0,
        period_labels=tuple(f"d{t}" for t in range(len(capacity_hours))),
        products=(product,),
        hospitals=tuple(PlanHospital(h) for h in hospitals),
        demand=demand,
        regimes=(Regime("normal", capacity_hours, capacity_source="test figure"),),
        lots=lots,
        allow_unmet_demand=allow_unmet,
    )


def normal_and_crisis(
    normal_hours: tuple[float, ...], min_crisis_periods: int
) -> tuple[Regime, Regime]:
    """Normal shifts (the regime in force) and a 24 h crisis regime at 100 a period, 50 to start."""
    normal = Regime("normal", normal_hours, capacity_source="test figure")
    crisis = Regime(
        "crisis",
        (24.0,) * len(normal_hours),
        capacity_source="test figure",
        cost_per_period=100.0,
        switch_on_cost=50.0,
        min_duration_periods=min_crisis_periods,
    )
    return normal, crisis
