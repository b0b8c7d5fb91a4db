"""The planning board's JSON API (mounted under /api/): build and start a run, its progress,
its problem and plan, and its acceptance. Same permissions and services as the pages."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.core.errors import NotFound, Refused
from rempart.mes.core.pages import request_id
from rempart.mes.planboard.accept import accept_plan
from rempart.mes.planboard.build import BoardParameters, p50_from_montecarlo
from rempart.mes.planboard.models import PlanRun
from rempart.mes.planboard.runs import progress, reap_stale, start_run

router = Router(tags=["planboard"])


class RunIn(Schema):
    start: date
    days: int = 28
    normal_vials_per_day: float | None = None
    normal_montecarlo: dict[str, Any] | None = None
    crisis_vials_per_day: float | None = None
    crisis_montecarlo: dict[str, Any] | None = None
    normal_weekends: bool = False
    run_rate_vials_per_hour: float = 330.0
    tension_share: float = 0.5
    setup_hours: float = 3.0
    format_change_hours: float = 1.0
    prepare_next_format: bool = False
    min_batch_vials: float = 200.0
    min_residual_days: float = 30.0
    crisis_cost_per_day: float = 6000.0
    crisis_switch_on_cost: float = 15000.0
    crisis_min_days: int = 7
    time_limit_s: float = 30.0


class ProgressOut(Schema):
    run_id: int
    status: str
    stage: str
    elapsed_s: float | None
    time_limit_s: float
    plan_status: str
    gap: float | None
    error: str
    accepted: bool


class AcceptIn(Schema):
    password: str
    totp_code: str


class OrderOut(Schema):
    product: str
    period: int
    vials: int
    batch_number: str | None
    refused_field: str
    refused_reason: str


class AcceptOut(Schema):
    run_id: int
    already_accepted: bool
    orders: list[OrderOut]


def _user(request: HttpRequest, action: Action) -> User:
    user = request.user
    assert isinstance(user, User)
    return require(user, action)


def _run(pk: int) -> PlanRun:
    run = PlanRun.objects.filter(pk=pk).first()
    if run is None:
        raise NotFound(f"no planning run {pk}", field="run_id")
    return run


def _capacity(
    figure: float | None, twin: dict[str, Any] | None, regime: str
) -> tuple[float | None, str]:
    if figure is not None and twin is not None:
        raise Refused("give a figure or the twin's JSON, not both", field=f"{regime}_montecarlo")
    if twin is not None:
        return p50_from_montecarlo(json.dumps(twin), f"{regime}_montecarlo")
    return figure, "user figure" if figure is not None else ""


@router.post("/planning/runs", response={201: ProgressOut})
def create_run(request: HttpRequest, body: RunIn) -> tuple[int, dict[str, Any]]:
    user = _user(request, Action.PLAN_PRODUCTION)
    normal, normal_source = _capacity(body.normal_vials_per_day, body.normal_montecarlo, "normal")
    crisis, crisis_source = _capacity(body.crisis_vials_per_day, body.crisis_montecarlo, "crisis")
    params = BoardParameters(
        start=body.start,
        days=body.days,
        normal_vials_per_day=normal or 0.0,
        normal_source=normal_source,
        crisis_vials_per_day=crisis,
        crisis_source=crisis_source,
        normal_weekends=body.normal_weekends,
        run_rate_vials_per_hour=body.run_rate_vials_per_hour,
        tension_share=body.tension_share,
        setup_hours=body.setup_hours,
        format_change_hours=body.format_change_hours,
        prepare_next_format=body.prepare_next_format,
        min_batch_vials=body.min_batch_vials,
        min_residual_days=body.min_residual_days,
        crisis_cost_per_day=body.crisis_cost_per_day,
        crisis_switch_on_cost=body.crisis_switch_on_cost,
        crisis_min_days=body.crisis_min_days,
        time_limit_s=body.time_limit_s,
    )
    run = start_run(user, params, request_id=request_id(request))
    return 201, progress(run).to_dict()


@router.get("/planning/runs/{run_id}", response=ProgressOut)
def run_status(request: HttpRequest, run_id: int) -> dict[str, Any]:
    _user(request, Action.VIEW_SUPPLY)
    reap_stale()
    return progress(_run(run_id)).to_dict()


@router.get("/planning/runs/{run_id}/problem")
def run_problem(request: HttpRequest, run_id: int) -> dict[str, Any]:
    _user(request, Action.VIEW_SUPPLY)
    problem: dict[str, Any] = _run(run_id).problem
    return problem


@router.get("/planning/runs/{run_id}/plan")
def run_plan(request: HttpRequest, run_id: int) -> dict[str, Any]:
    _user(request, Action.VIEW_SUPPLY)
    run = _run(run_id)
    if not run.plan:
        raise NotFound(f"run {run_id} has no plan ({run.status})", field="run_id")
    plan: dict[str, Any] = run.plan
    return plan


@router.post("/planning/runs/{run_id}/accept", response=AcceptOut)
def accept(request: HttpRequest, run_id: int, body: AcceptIn) -> dict[str, Any]:
    user = _user(request, Action.PLAN_PRODUCTION)
    outcome = accept_plan(
        user,
        _run(run_id),
        password=body.password,
        totp_code=body.totp_code,
        request_id=request_id(request),
    )
    return {
        "run_id": outcome.run.pk,
        "already_accepted": outcome.already_accepted,
        "orders": [
            {
                "product": o.product_code,
                "period": o.period,
                "vials": o.vials,
                "batch_number": o.batch.batch_number if o.batch else None,
                "refused_field": o.refused_field,
                "refused_reason": o.refused_reason,
            }
            for o in outcome.orders
        ],
    }
