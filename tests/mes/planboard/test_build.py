"""The planning problem built from the database, checked by hand on a small fixture."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.batches.services import create_batch_order, schedule_batch
from rempart.mes.catalog.models import Molecule, Product, VialFormat
from rempart.mes.core.errors import Refused
from rempart.mes.planboard.build import build_problem, p50_from_montecarlo
from rempart.mes.stock.models import Lot

from ..batches.factories import line_ready
from ..conftest import World
from .conftest import START, forecast, later, small_parameters, stock, supply_status


def _order(world: World, number: str, vials: int, day: int) -> Batch:
    return create_batch_order(
        world.users["pharmacist"],
        batch_number=number,
        master_record=world.record,
        quantity_vials=vials,
        planned_start=datetime.combine(later(day), time(8, 0), tzinfo=UTC),
    )


def test_demand_stock_lots_running_batches_and_capacity(demand: World) -> None:
    world = demand
    line_ready(world)
    # A later-entered forecast for Roubaix replaces 50/day by 80/day in the second week.
    forecast(world, world.hospital_b, world.product, "80", later(7), later(13))
    # Lille counted 300 released and 200 in quarantine released on day 3.
    stock(world, world.hospital_a, world.product, 300, quarantine=200, release_date=later(3))
    # A released central lot (1,000 vials, expiring on day 100).
    made = _order(world, "LOT-1", 1000, -30)
    with audited_write(Actor.system("tests")):
        Lot.objects.create(
            batch=made,
            lot_number="LOT-1",
            status="released",
            quantity_vials=1000,
            fill_date=later(-30),
            expiry_date=later(100),
        )
    # A batch scheduled on day 2 (Wednesday): fixed, its hours off that day's capacity.
    running = _order(world, "RUN-1", 1200, 2)
    schedule_batch(world.users["pharmacist"], running)
    _order(world, "DRAFT-1", 900, 4)  # a draft (planned) order is not fixed input

    built = build_problem(small_parameters())
    p = built.problem
    assert p.period_labels[0] == "2027-03-01"
    assert p.n_periods == 21
    assert [h.code for h in p.hospitals] == ["CH-ROUBAIX", "CHU-LILLE"]
    assert p.demand["CHU-LILLE", "ROCU-10-10"] == (100.0,) * 21
    assert p.demand["CH-ROUBAIX", "ROCU-10-10"] == (50.0,) * 7 + (80.0,) * 7 + (50.0,) * 7
    (product,) = p.products
    assert (product.criticality, product.qc_lead_time_days, product.shelf_life_days) == (
        5,
        15.0,
        180.0,
    )
    assert product.line_hours_per_vial == pytest.approx(1 / 330)
    lots = {lot.lot_id: lot for lot in p.lots}
    assert set(lots) == {
        "count:CHU-LILLE:ROCU-10-10",
        "count:CHU-LILLE:ROCU-10-10:q0",
        "lot:LOT-1",
        "batch:RUN-1",
    }  # rupture: no delivery; the draft order is not there
    on_hand = lots["count:CHU-LILLE:ROCU-10-10"]
    assert (on_hand.quantity_vials, on_hand.location, on_hand.kind) == (300, "CHU-LILLE", "on_hand")
    quarantine = lots["count:CHU-LILLE:ROCU-10-10:q0"]
    assert (quarantine.quantity_vials, quarantine.release_day) == (200, 3.0)
    central = lots["lot:LOT-1"]
    assert (central.location, central.release_day, central.expiry_day) == ("central", 0.0, 100.0)
    fixed = lots["batch:RUN-1"]
    # filled on day 2, released after the 15-day QC lead time, expires 180 days after filling
    assert (fixed.quantity_vials, fixed.release_day, fixed.expiry_day, fixed.kind) == (
        1200.0,
        17.0,
        182.0,
        "quarantine",
    )
    assert built.fixed_batches == ("RUN-1",)
    (normal,) = p.regimes
    weekday = 2000 / 330
    assert normal.capacity_hours[0] == pytest.approx(weekday)
    # day 2: 6.06 h - (1,200/330 h + 3 h set-up) < 0 → 0
    assert normal.capacity_hours[2] == 0.0
    assert normal.capacity_hours[5] == normal.capacity_hours[6] == 0.0  # Saturday, Sunday
    assert "user figure" in normal.capacity_source


def test_tension_delivers_a_share_of_demand_and_no_status_all_of_it(world: World) -> None:
    supply_status("M03AC09", 2)
    forecast(world, world.hospital_a, world.product, "100")
    forecast(world, world.hospital_b, world.product, "50")
    p = build_problem(small_parameters(tension_share=0.4)).problem
    deliveries = [lot for lot in p.lots if lot.kind == "delivery"]
    assert len(deliveries) == 21
    assert {lot.quantity_vials for lot in deliveries} == {60.0}  # 0.4 × 150
    assert [lot.release_day for lot in deliveries] == [float(t) for t in range(21)]


def test_the_p50_of_the_twin_is_the_capacity(demand: World) -> None:
    text = '{"scenario": "crisis-24h", "runs": 50, "vials_good": {"p50": 7425.5, "p10": 7000}}'
    vials, source = p50_from_montecarlo(text, "crisis_montecarlo")
    assert vials == 7425.5
    assert source == "twin Monte Carlo P50 of good vials (crisis-24h, 50 runs)"
    p = build_problem(small_parameters(crisis_vials_per_day=vials, crisis_source=source)).problem
    crisis = p.regimes[1]
    assert crisis.capacity_hours[5] == pytest.approx(7425.5 / 330)  # every day, weekends too
    assert crisis.capacity_source.startswith("twin Monte Carlo P50")
    assert crisis.min_duration_periods == 7
    for bad, why in (
        ("{", "not the JSON"),
        ('{"vials_good": {}}', "no vials_good.p50"),
        ("[" * 5000 + "]" * 5000, "nested deeper than 64 levels"),
    ):
        with pytest.raises(Refused) as refused:
            p50_from_montecarlo(bad, "crisis_montecarlo")
        assert refused.value.field == "crisis_montecarlo"
        assert why in refused.value.message


def test_bad_input_is_named(world: World) -> None:
    with pytest.raises(Refused) as refused:
        build_problem(small_parameters())
    assert refused.value.field == "forecasts"
    assert "no consumption forecast covers 2027-03-01 … 2027-03-21" in refused.value.message

    with audited_write(Actor.system("tests")):
        other = Product.objects.create(
            code="SUXA-50-2",
            name="Suxaméthonium",
            molecule=Molecule.objects.create(inn="suxamethonium", atc="M03AB01"),
            concentration_mg_per_ml=Decimal("50"),
            fill_volume_ml=Decimal("2.2"),
            vial_format=VialFormat.objects.get(code="V10"),
            storage="2-8 °C",
            shelf_life_days=180,
            regulatory_status="hospital_preparation",
            criticality=4,
        )
    forecast(world, world.hospital_a, world.product, "10")
    with pytest.raises(Refused) as refused:
        build_problem(small_parameters(normal_vials_per_day=0.0, start=START))
    assert refused.value.field == "normal_vials_per_day"
    forecast(world, world.hospital_a, other, "10")
    with pytest.raises(Refused) as refused:
        build_problem(small_parameters())
    assert refused.value.field == "products"
    assert "no approved master record for SUXA-50-2" in refused.value.message

    with pytest.raises(Refused) as refused:
        small_parameters(days=0)
    assert refused.value.field == "days"

    for start in (date(9999, 12, 31), date(1, 1, 1)):
        with pytest.raises(Refused) as refused:
            small_parameters(start=start)
        assert refused.value.field == "start"

    with pytest.raises(Refused) as refused:
        small_parameters(setup_cost=1e300)
    assert (refused.value.field, refused.value.message) == ("setup_cost", "must be at most 1e+09")


def test_the_line_starts_in_the_format_of_the_batch_it_last_ran(demand: World) -> None:
    world = demand
    line_ready(world)
    assert build_problem(small_parameters()).problem.initial_vial_format is None
    older, newer = _order(world, "OLD-1", 500, -9), _order(world, "NEW-1", 500, -2)
    _order(world, "NEXT-1", 500, 3)  # a planned order has not been on the line
    with audited_write(Actor.system("tests"), reason="fixture: batches already run"):
        Batch.objects.filter(pk__in=[older.pk, newer.pk]).update(state="released")
    built = build_problem(small_parameters())
    code = world.product.vial_format.code
    assert built.problem.initial_vial_format == code
    assert f"the line is set up for vial format {code} (batch NEW-1)" in built.notes


def test_format_preparations_are_the_planner_s_choice(demand: World) -> None:
    assert build_problem(small_parameters()).problem.prepare_next_format is False
    chosen = build_problem(small_parameters(prepare_next_format=True))
    assert chosen.problem.prepare_next_format is True
    assert chosen.document["prepare_next_format"] is True
