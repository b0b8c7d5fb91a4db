"""Tiny instances whose optimum is known by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rempart.planning.plan import ShortageReason, Status
from rempart.planning.problem import CENTRAL, PlanProduct, StockLot
from rempart.planning.solve import SolveOptions, solve
from tests.planning.tiny import tiny_problem

FAST = SolveOptions(time_limit_s=20.0, mip_rel_gap=0.0)


def test_one_product_two_periods_batches_when_capacity_allows() -> None:
    # One lot of 100 (setup 100 + holding 50 x 1) beats two lots (2 x 100).
    plan = solve(tiny_problem({("H", "P"): (50.0, 50.0)}, (1000.0, 1000.0)), FAST)
    assert plan.status is Status.OPTIMAL
    assert plan.cost == pytest.approx(150.0)
    assert [(lot.period, round(lot.vials, 3)) for lot in plan.lots] == [(0, 100.0)]
    assert plan.min_fill_rate == pytest.approx(1.0)
    assert plan.check_violations == ()


def test_one_product_two_periods_splits_when_capacity_binds() -> None:
    plan = solve(tiny_problem({("H", "P"): (50.0, 50.0)}, (60.0, 60.0)), FAST)
    assert plan.status is Status.OPTIMAL
    assert plan.cost == pytest.approx(200.0)
    assert sorted(lot.period for lot in plan.lots) == [0, 1]


def test_qc_lead_time_forces_early_production() -> None:
    product = PlanProduct(
        "P",
        5,
        1.0,
        0.0,
        "V5",
        qc_lead_time_days=2.0,
        setup_cost=10.0,
        holding_cost_per_vial_period=1.0,
    )
    demand = {("H", "P"): (0.0, 0.0, 0.0, 30.0)}
    plan = solve(tiny_problem(demand, (100.0,) * 4, product=product), FAST)
    assert plan.status is Status.OPTIMAL
    # Released two days after filling: the last possible filling day is day 1.
    assert [(lot.period, round(lot.vials, 3)) for lot in plan.lots] == [(1, 30.0)]
    assert plan.cost == pytest.approx(10.0 + 30.0 * 2)
    assert plan.weighted_shortage == pytest.approx(0.0)


def test_shelf_life_forbids_early_production() -> None:
    # Only day 0 has line hours, but vials filled then expire before day 5.
    product = PlanProduct(
        "P",
        5,
        1.0,
        0.0,
        "V5",
        qc_lead_time_days=1.0,
        shelf_life_days=4.0,
        min_residual_days=1.0,
        setup_cost=10.0,
    )
    demand = {("H", "P"): (0.0, 0.0, 20.0, 0.0, 0.0, 50.0)}
    capacity = (100.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    plan = solve(tiny_problem(demand, capacity, product=product), FAST)
    assert plan.status is Status.OPTIMAL
    assert [(lot.period, round(lot.vials, 3)) for lot in plan.lots] == [(0, 20.0)]
    [shortage] = plan.shortages
    assert (shortage.period, round(shortage.unmet_vials, 3)) == (5, 50.0)
    assert shortage.reason is ShortageReason.SHELF_LIFE
    assert plan.min_fill_rate == pytest.approx(20.0 / 70.0)


def test_shortage_split_fairly_between_two_hospitals() -> None:
    # 90 vials can be made for 150 requested: both hospitals get 60 %.
    product = PlanProduct("P", 5, 1.0, 0.0, "V5", qc_lead_time_days=1.0)
    demand = {("A", "P"): (0.0, 100.0), ("B", "P"): (0.0, 50.0)}
    plan = solve(tiny_problem(demand, (90.0, 0.0), product=product), FAST)
    assert plan.status is Status.OPTIMAL
    assert plan.min_fill_rate == pytest.approx(0.6)
    served = {a.hospital: a.from_central_vials for a in plan.allocations}
    assert served == {"A": pytest.approx(60.0), "B": pytest.approx(30.0)}
    assert {s.reason for s in plan.shortages} == {ShortageReason.CAPACITY}


def test_fair_split_accounts_for_a_hospitals_own_stock() -> None:
    # A holds 40 of its own; 60 central vials: max-min gives both hospitals 50 %.
    product = PlanProduct("P", 5, 1.0, 0.0, "V5", qc_lead_time_days=1.0)
    demand = {("A", "P"): (0.0, 100.0), ("B", "P"): (0.0, 100.0)}
    lots = (StockLot("A-own", "P", 40.0, location="A"),)
    plan = solve(tiny_problem(demand, (60.0, 0.0), product=product, lots=lots), FAST)
    assert plan.min_fill_rate == pytest.approx(0.5)
    rates = {f.hospital: f.fill_rate for f in plan.fill_rates}
    assert rates == {"A": pytest.approx(0.5), "B": pytest.approx(0.5)}
    assert plan.check_violations == ()


def test_qc_lead_time_is_the_reason_for_early_shortage() -> None:
    product = PlanProduct("P", 5, 1.0, 0.0, "V5", qc_lead_time_days=3.0)
    demand = {("H", "P"): (10.0, 10.0, 10.0, 10.0)}
    lots = (StockLot("S1", "P", 15.0),)
    plan = solve(tiny_problem(demand, (100.0,) * 4, product=product, lots=lots), FAST)
    # 15 vials of stock for 30 requested before the first release on day 3.
    assert {s.reason for s in plan.shortages} == {ShortageReason.QC_LEAD_TIME}
    assert {s.period for s in plan.shortages} <= {0, 1, 2}
    assert sum(s.unmet_vials for s in plan.shortages) == pytest.approx(15.0)
    assert [(lot.period, round(lot.vials, 3)) for lot in plan.lots] == [(0, 10.0)]


def test_setup_time_too_long_for_the_spare_hours_is_the_setup_budget() -> None:
    # Day 0 has 4 line hours, but a lot of P needs a 5 h setup first.
    p = PlanProduct("P", 3, 1.0, 5.0, "V5", qc_lead_time_days=1.0)
    demand = {("H", "P"): (0.0, 10.0)}
    plan = solve(tiny_problem(demand, (4.0, 0.0), product=p), FAST)
    [shortage] = plan.shortages
    assert shortage.reason is ShortageReason.SETUP_BUDGET
    assert "5.00 h" in shortage.detail or "6.00 h" in shortage.detail


def test_a_lot_about_to_expire_is_used_first() -> None:
    # No line hours: 30 vials wanted on days 0-2 come from stock. Lot SOON (20 vials) can be
    # used on days 0-1 only (expiry 3.5 - residual 2 = day 1); LATER (20) never expires here.
    # Shortage and cost are the same whichever lot serves; the expiry stage uses SOON fully.
    product = replace(
        PlanProduct("P", 5, 1.0, 0.0, "V5", setup_cost=10.0),
        min_residual_days=2.0,
    )
    lots = (
        StockLot("LATER", "P", 20.0, CENTRAL, 0.0, None),
        StockLot("SOON", "P", 20.0, CENTRAL, 0.0, 3.5),
    )
    demand = {("H", "P"): (10.0, 10.0, 10.0, 0.0)}
    plan = solve(tiny_problem(demand, (0.0,) * 4, product=product, lots=lots), FAST)
    assert [stage.name for stage in plan.stages] == ["fairness", "shortage", "expiry", "cost"]
    assert plan.status is Status.OPTIMAL
    assert plan.weighted_shortage == pytest.approx(0.0)
    assert plan.expired_vials == pytest.approx(0.0)
    used = {u.lot_id: 0.0 for u in plan.lot_uses}
    for use in plan.lot_uses:
        used[use.lot_id] += use.vials
    assert used["SOON"] == pytest.approx(20.0)
    assert plan.stages[2].objective == pytest.approx(0.0)


def test_without_an_expiring_central_lot_there_is_no_expiry_stage() -> None:
    lots = (StockLot("LATER", "P", 20.0, CENTRAL, 0.0, None),)
    demand = {("H", "P"): (10.0, 10.0, 10.0)}
    plan = solve(tiny_problem(demand, (100.0,) * 3, lots=lots), FAST)
    assert [stage.name for stage in plan.stages] == ["fairness", "shortage", "cost"]
    assert plan.expired_vials == pytest.approx(0.0)
