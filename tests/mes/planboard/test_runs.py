"""Solving in the background, reading the plan, accepting it once, re-planning around the
batches already running."""

from __future__ import annotations

import pytest

from rempart.domain.signatures import Meaning
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.batches.services import schedule_batch
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.planboard.accept import accept_plan, batch_sizes
from rempart.mes.planboard.build import build_problem
from rempart.mes.planboard.models import PlanOrder, PlanRun
from rempart.mes.planboard.runs import execute_run, reap_stale, start_run, wait
from rempart.mes.signatures.services import valid_signature

from ..batches.factories import line_ready
from ..conftest import PASSWORD, World
from .conftest import small_parameters, totp_now


def _solved(world: World, **changes: object) -> PlanRun:
    run = start_run(world.users["pharmacist"], small_parameters(**changes), background=False)
    return execute_run(run.pk)


def test_a_run_solves_and_its_plan_is_stored(demand: World) -> None:
    run = _solved(demand)
    assert (run.status, run.stage, run.error) == ("done", "done", "")
    assert run.plan_status in ("optimal", "feasible")
    assert run.started_at is not None
    assert run.finished_at is not None
    plan = run.plan
    assert plan is not None
    lots = plan["plan"]["lots"]
    assert lots, "rocuronium is in rupture with no stock: the line must fill"
    # Nothing filled is released before day 15 (QC lead time), so days 0-14 are short.
    shortages = plan["plan"]["shortages"]
    assert {s["period"] for s in shortages} >= set(range(15))
    assert {s["reason"] for s in shortages if s["period"] < 15} == {"qc_lead_time"}
    assert all(lot["period"] + 15 <= 20 for lot in lots)


def test_a_failed_solve_shows_its_error_without_a_trace(demand: World) -> None:
    run = start_run(demand.users["pharmacist"], small_parameters(), background=False)
    with audited_write(Actor.system("tests"), reason="break the problem"):
        PlanRun.objects.filter(pk=run.pk).update(problem={"format": "nope"})
    run = execute_run(run.pk)
    assert run.status == "failed"
    assert run.error.startswith("the solve failed: the problem is not valid: $")
    assert "Traceback" not in run.error


def test_a_run_left_running_by_a_stopped_server_is_marked_failed(demand: World) -> None:
    run = start_run(demand.users["pharmacist"], small_parameters(), background=False)
    from datetime import timedelta

    from django.utils import timezone

    assert reap_stale(timezone.now()) == 0
    assert reap_stale(timezone.now() + timedelta(hours=2)) == 1
    run.refresh_from_db()
    assert run.status == "failed"
    assert "interrupted" in run.error


@pytest.mark.usefixtures("sqlite_flush_guard")
def test_the_background_thread_solves_without_blocking(demand: World) -> None:
    run = start_run(demand.users["pharmacist"], small_parameters())
    # start_run returned with the run queued or running: the request does not wait.
    assert PlanRun.objects.get(pk=run.pk).status in ("queued", "running", "done")
    wait(run.pk, timeout=120)
    run.refresh_from_db()
    assert run.status == "done"
    assert run.plan is not None


def test_accepting_orders_the_lots_once(demand: World) -> None:
    world = demand
    line_ready(world)
    run = _solved(world)
    pharmacist = world.users["pharmacist"]
    with pytest.raises(Refused) as refused:
        accept_plan(pharmacist, run, password=PASSWORD, totp_code="000000")
    assert refused.value.field == "totp_code"
    assert not Batch.objects.exists()
    with pytest.raises(NotPermitted):
        accept_plan(
            world.users["qa"], run, password=PASSWORD, totp_code=totp_now(world.users["qa"])
        )

    outcome = accept_plan(pharmacist, run, password=PASSWORD, totp_code=totp_now(pharmacist))
    assert not outcome.already_accepted
    planned = round(sum(lot["vials"] for lot in run.plan["plan"]["lots"]))  # type: ignore[index]
    batches = list(Batch.objects.order_by("planned_start"))
    assert batches
    assert {b.state for b in batches} == {"planned"}
    assert {b.master_record_id for b in batches} == {world.record.pk}
    assert sum(b.quantity_vials for b in batches) == planned
    assert all(b.quantity_vials <= 4800 for b in batches)  # the envelope: 5,000 vials, 8 h
    assert [o.batch_id for o in outcome.made] == [b.pk for b in batches]
    run.refresh_from_db()
    assert run.accepted_by == pharmacist
    assert valid_signature(run, Meaning.APPROVED) is not None

    again = accept_plan(pharmacist, run, password="", totp_code="")
    assert again.already_accepted
    assert Batch.objects.count() == len(batches)
    assert PlanOrder.objects.filter(run=run).count() == len(outcome.orders)


def test_a_lot_the_batch_service_refuses_is_listed_with_its_reason(demand: World) -> None:
    # The line has no decontamination recorded: every order is refused, naming why.
    run = _solved(demand)
    pharmacist = demand.users["pharmacist"]
    outcome = accept_plan(pharmacist, run, password=PASSWORD, totp_code=totp_now(pharmacist))
    assert outcome.refused
    assert not outcome.made
    assert {o.refused_field for o in outcome.refused} == {"decontamination"}
    assert not Batch.objects.exists()


def test_only_a_solved_plan_is_accepted(demand: World) -> None:
    run = start_run(demand.users["pharmacist"], small_parameters(), background=False)
    pharmacist = demand.users["pharmacist"]
    with pytest.raises(Conflict) as refused:
        accept_plan(pharmacist, run, password=PASSWORD, totp_code=totp_now(pharmacist))
    assert refused.value.field == "run"


def test_batch_sizes_stay_within_the_envelope(world: World) -> None:
    # envelope: 5,000 vials and 8 h at 600 vials/h = 4,800 vials
    assert batch_sizes(4800, world.record) == [4800]
    assert batch_sizes(7000, world.record) == [3500, 3500]
    assert batch_sizes(9601, world.record) == [3201, 3200, 3200]


def test_re_planning_keeps_what_is_running(demand: World) -> None:
    world = demand
    line_ready(world)
    run = _solved(world)
    pharmacist = world.users["pharmacist"]
    accept_plan(pharmacist, run, password=PASSWORD, totp_code=totp_now(pharmacist))
    first = Batch.objects.order_by("planned_start").first()
    assert first is not None
    schedule_batch(pharmacist, first)
    rebuilt = build_problem(small_parameters())
    assert rebuilt.fixed_batches == (first.batch_number,)
    fixed = next(lot for lot in rebuilt.problem.lots if lot.lot_id == f"batch:{first.batch_number}")
    assert fixed.quantity_vials == first.quantity_vials
    day = (first.planned_start.date() - run.start_date).days
    assert fixed.release_day == day + 15
    # its line hours are taken off its day: that day has less room than an ordinary weekday
    normal = rebuilt.problem.regimes[0]
    assert normal.capacity_hours[day] < 2000 / 330
    second = execute_run(start_run(pharmacist, small_parameters(), background=False).pk)
    assert second.status == "done"
    # the scheduled batch's vials now serve demand instead of being planned again
    uses = {u["lot_id"] for u in second.plan["plan"]["stock_used"]}  # type: ignore[index]
    assert f"batch:{first.batch_number}" in uses
