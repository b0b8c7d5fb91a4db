"""The planning board's pages and API, and who may use them and the supply pages: every role
against every endpoint, from the domain permission matrix."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from rempart.domain.roles import PERMISSIONS, Action, Role
from rempart.mes.batches.models import Batch
from rempart.mes.planboard.models import PlanRun
from rempart.mes.planboard.runs import execute_run, start_run

from ..batches.factories import line_ready
from ..conftest import PASSWORD, World
from .conftest import START, small_parameters, totp_now

ROLE_USERS = {
    Role.PHARMACIST: "pharmacist",
    Role.TECHNICIAN: "technician",
    Role.QC_ANALYST: "qc",
    Role.QA_REVIEWER: "qa",
    Role.ORDERER: "orderer_a",
    Role.ADMINISTRATOR: "admin",
}


#: A valid body with no capacity: an allowed role gets 400 (nothing built), never a run.
API_RUN = {"start": START.isoformat(), "days": 21}


def _client(world: World, role: Role) -> Client:
    client = Client()
    client.force_login(world.users[ROLE_USERS[role]])
    return client


def _endpoints(run: PlanRun) -> list[tuple[str, str, Action]]:
    r = run.pk
    return [
        ("get", "/supply/", Action.VIEW_SUPPLY),
        ("get", "/supply/import/", Action.IMPORT_SUPPLY_DATA),
        ("get", "/supply/inputs/", Action.PLAN_PRODUCTION),
        ("get", "/planning/", Action.VIEW_SUPPLY),
        ("post", "/planning/runs/new/", Action.PLAN_PRODUCTION),
        ("get", f"/planning/runs/{r}/", Action.VIEW_SUPPLY),
        ("get", f"/planning/runs/{r}/progress/", Action.VIEW_SUPPLY),
        ("get", f"/planning/runs/{r}/gantt.svg", Action.VIEW_SUPPLY),
        ("get", f"/planning/runs/{r}/fill.svg", Action.VIEW_SUPPLY),
        ("get", f"/planning/runs/{r}/accept/", Action.PLAN_PRODUCTION),
        ("post", f"/planning/runs/{r}/accept/", Action.PLAN_PRODUCTION),
        ("get", f"/api/planning/runs/{r}", Action.VIEW_SUPPLY),
        ("get", f"/api/planning/runs/{r}/plan", Action.VIEW_SUPPLY),
        ("get", f"/api/planning/runs/{r}/problem", Action.VIEW_SUPPLY),
        ("post", "/api/planning/runs", Action.PLAN_PRODUCTION),
        ("post", f"/api/planning/runs/{r}/accept", Action.PLAN_PRODUCTION),
    ]


@pytest.fixture
def solved(demand: World) -> PlanRun:
    run = start_run(demand.users["pharmacist"], small_parameters(), background=False)
    return execute_run(run.pk)


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_role_against_every_endpoint(world: World, solved: PlanRun, role: Role) -> None:
    client = _client(world, role)
    for method, url, action in _endpoints(solved):
        if method == "get":
            response = client.get(url)
        elif url.startswith("/api/"):
            body = {"password": "x", "totp_code": "1"} if "accept" in url else API_RUN
            response = client.post(url, body, content_type="application/json")
        else:
            response = client.post(url, {})
        allowed = role in PERMISSIONS[action]
        if allowed:
            assert response.status_code != 403, (role, url)
        else:
            assert response.status_code == 403, (role, url, response.status_code)
    outsider = Client()
    for method, url, _ in _endpoints(solved):
        response = outsider.get(url) if method == "get" else outsider.post(url, {})
        assert response.status_code in (302, 401), url
    assert not Batch.objects.exists()  # empty forms and bodies never order anything


def test_the_board_form_starts_a_run_and_names_a_bad_field(demand: World) -> None:
    client = _client(demand, Role.PHARMACIST)
    page = client.get("/planning/")
    assert page.status_code == 200
    assert 'id="new-run"' in page.content.decode()
    form = {
        "start": START.isoformat(),
        "days": "21",
        "normal_vials_per_day": "2000",
        "run_rate_vials_per_hour": "330",
        "tension_share": "0.5",
        "setup_hours": "3",
        "format_change_hours": "1",
        "min_batch_vials": "200",
        "min_residual_days": "30",
        "crisis_cost_per_day": "6000",
        "crisis_switch_on_cost": "15000",
        "crisis_min_days": "7",
        "time_limit_s": "20",
        "crisis_montecarlo": "{not json",
    }
    bad = client.post("/planning/runs/new/", form)
    assert bad.status_code == 400
    assert "crisis_montecarlo: " in bad.content.decode()
    assert not PlanRun.objects.exists()
    form["crisis_montecarlo"] = json.dumps(
        {"scenario": "crisis-24h", "runs": 20, "vials_good": {"p50": 7000.0}}
    )
    form["prepare_next_format"] = "on"
    response = client.post("/planning/runs/new/", form)
    assert response.status_code == 302
    run = PlanRun.objects.get()
    assert run.problem["prepare_next_format"] is True
    assert response["Location"] == f"/planning/runs/{run.pk}/"
    assert run.problem["regimes"][1]["capacity_source"].startswith("twin Monte Carlo P50")
    # The worker thread is not awaited here; the page shows the run whatever its state.
    page = client.get(f"/planning/runs/{run.pk}/")
    assert page.status_code == 200


def test_the_plan_page_shows_the_gantt_cover_and_reasons(solved: PlanRun, world: World) -> None:
    client = _client(world, Role.TECHNICIAN)  # a viewer: sees, may not accept
    text = client.get(f"/planning/runs/{solved.pk}/").content.decode()
    for marker in ('id="gantt"', 'id="cover"', 'id="shortages"', "qc_lead_time", 'id="lots"'):
        assert marker in text
    assert 'id="accept-plan"' not in text
    svg = client.get(f"/planning/runs/{solved.pk}/gantt.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<?xml")
    assert b"ROCU-10-10" in svg.content
    assert "script" not in svg["Content-Security-Policy"]
    progress = client.get(f"/planning/runs/{solved.pk}/progress/").json()
    assert progress["status"] == "done"


def test_the_api_builds_reads_and_accepts(demand: World) -> None:
    line_ready(demand)
    client = _client(demand, Role.PHARMACIST)
    bad = client.post(
        "/api/planning/runs",
        {"start": START.isoformat(), "days": 21, "normal_vials_per_day": 0},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "normal_vials_per_day"
    run = start_run(demand.users["pharmacist"], small_parameters(), background=False)
    missing = client.get(f"/api/planning/runs/{run.pk}/plan")
    assert missing.status_code == 404
    assert missing.json()["field"] == "run_id"
    execute_run(run.pk)
    status = client.get(f"/api/planning/runs/{run.pk}").json()
    assert status["status"] == "done"
    plan = client.get(f"/api/planning/runs/{run.pk}/plan").json()
    assert plan["plan"]["lots"]
    problem = client.get(f"/api/planning/runs/{run.pk}/problem").json()
    assert problem["format"] == "rempart-planning-problem/1"
    user = demand.users["pharmacist"]
    wrong = client.post(
        f"/api/planning/runs/{run.pk}/accept",
        {"password": PASSWORD, "totp_code": "000000"},
        content_type="application/json",
    )
    assert wrong.status_code == 400
    assert wrong.json()["field"] == "totp_code"
    body = {"password": PASSWORD, "totp_code": totp_now(user)}
    accepted = client.post(
        f"/api/planning/runs/{run.pk}/accept", body, content_type="application/json"
    ).json()
    assert not accepted["already_accepted"]
    made = [o["batch_number"] for o in accepted["orders"] if o["batch_number"]]
    assert made
    assert Batch.objects.count() == len(made)
    again = client.post(
        f"/api/planning/runs/{run.pk}/accept", body, content_type="application/json"
    ).json()
    assert again["already_accepted"]
    assert Batch.objects.count() == len(made)
