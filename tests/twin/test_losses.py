"""Losses: faults with alarms and glove-port repairs, interventions, shifts, VHP cycles."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from rempart.twin.errors import CommandRefused
from rempart.twin.journal import Kind
from rempart.twin.line import FillingLine
from rempart.twin.packml import Command, State
from rempart.twin.params import FaultParams, LineParams, StationsParams
from rempart.twin.runner import run_scenario
from tests.twin.conftest import load

MakeLine = Callable[..., FillingLine]
HOUR_S = 3600.0


def _faulty(auto_recover: bool = True) -> LineParams:
    """Only the capping station faults, often, so a short run shows several."""
    base = LineParams()
    never = FaultParams("none", fault_mtbf_h=float("inf"))
    stations = StationsParams(
        infeed=dataclasses.replace(base.stations.infeed, fault=never),
        decontamination=dataclasses.replace(base.stations.decontamination, fault=never),
        filling=dataclasses.replace(base.stations.filling, fault=never),
        laser_reseal=dataclasses.replace(base.stations.laser_reseal, fault=never),
        capping=dataclasses.replace(
            base.stations.capping, fault=FaultParams("cap_jam", 0.5, 4.0, "GP4")
        ),
    )
    return dataclasses.replace(
        base, stations=stations, interventions_enabled=False, auto_recover=auto_recover
    )


def test_a_fault_raises_an_alarm_holds_is_repaired_through_its_glove_port_and_resumes(
    make_line: MakeLine,
) -> None:
    line = make_line(_faulty())
    load(line, "B-F", quantity=3_000)
    line.command(Command.START)
    line.step(5 * HOUR_S)
    entries = list(line.journal)
    raised = [
        e.data for e in entries if e.kind is Kind.ALARM_RAISED and e.data["code"] == "cap_jam"
    ]
    cleared = {e.data["alarm_id"] for e in entries if e.kind is Kind.ALARM_CLEARED}
    assert len(raised) >= 3
    assert {a["alarm_id"] for a in raised[:-1]} <= cleared
    corrective = [
        e.data
        for e in entries
        if e.kind is Kind.INTERVENTION_STARTED and e.data["type"] == "corrective"
    ]
    assert {c["glove_port"] for c in corrective} == {"GP4"}
    assert {c["station"] for c in corrective} == {"capping"}
    holds = [e.data for e in entries if e.kind is Kind.STATE_CHANGED and e.data["to"] == "Holding"]
    assert [h["reason"] for h in holds[: len(raised)]] == [a["alarm_id"] for a in raised]
    resumed = [
        e.data for e in entries if e.kind is Kind.STATE_CHANGED and e.data["command"] == "Unhold"
    ]
    assert len(resumed) >= len(raised) - 1
    assert line.stop_reason == "cap_jam"


def test_without_auto_recovery_a_repaired_line_waits_held_for_its_operator(
    make_line: MakeLine,
) -> None:
    line = make_line(_faulty(auto_recover=False))
    load(line, "B-W", quantity=3_000)
    line.command(Command.START)
    while line.state is not State.HELD:
        line.step(60)
    line.step(2 * HOUR_S)
    assert line.state is State.HELD
    assert not line.losses.active_alarms or all(
        a["code"].startswith("particles") for a in line.losses.active_alarms.values()
    )
    line.command(Command.UNHOLD)
    line.step(60)
    assert line.state is State.EXECUTE


def test_inherent_interventions_hold_the_line_at_their_interval(make_line: MakeLine) -> None:
    params = dataclasses.replace(LineParams(), faults_enabled=False)
    line = make_line(params)
    load(line, "B-I", quantity=3_000)
    line.command(Command.START)
    line.step(6 * HOUR_S)
    starts = [e for e in line.journal if e.kind is Kind.INTERVENTION_STARTED]
    ends = {
        e.data["intervention_id"] for e in line.journal if e.kind is Kind.INTERVENTION_COMPLETED
    }
    assert starts
    assert all(s.data["type"] == "inherent" for s in starts)
    assert {s.data["intervention_id"] for s in starts} == ends
    assert {s.data["glove_port"] for s in starts} <= set(params.interventions.glove_ports)
    assert {s.data["name"] for s in starts} <= set(params.interventions.inherent_names)
    execute_h = line.execute_time_s() / HOUR_S
    expected = execute_h * 60 / params.interventions.inherent_interval_min
    assert abs(len(starts) - expected) <= 1


def test_a_decontamination_cycle_blocks_start_until_it_ends(make_line: MakeLine) -> None:
    line = make_line()
    line.start_decontamination()
    with pytest.raises(CommandRefused, match="already running"):
        line.start_decontamination()
    load(line, "B-D")
    last = line.journal.last_sequence
    with pytest.raises(CommandRefused, match="decontamination in progress"):
        line.command(Command.START)
    assert line.journal.last_sequence == last
    assert line.state is State.IDLE
    line.step(line.params.decontamination.cycle_duration_h * HOUR_S + 1)
    assert line.command(Command.START) is State.STARTING
    kinds = [e.kind for e in line.journal]
    assert kinds.count(Kind.DECONTAMINATION_COMPLETED) == 1
    with pytest.raises(CommandRefused, match="only at rest"):
        line.start_decontamination()


def test_a_normal_day_fills_inside_its_shift_and_runs_vhp_at_night() -> None:
    result = run_scenario("normal-day", seed=3)
    entries = list(result.line.journal)
    start = result.scenario.start
    vial_hours = {
        (e.timestamp - start).total_seconds() / HOUR_S
        for e in entries
        if e.kind is Kind.VIAL_PROCESSED
    }
    assert min(vial_hours) >= 7.0
    assert max(vial_hours) <= 15.0
    decon = [e for e in entries if e.kind is Kind.DECONTAMINATION_STARTED]
    assert len(decon) == 1
    assert (decon[0].timestamp - start).total_seconds() / HOUR_S < 7.0
    shifts = [
        (str(e.kind), e.data["shift"])
        for e in entries
        if e.kind in (Kind.SHIFT_STARTED, Kind.SHIFT_ENDED)
    ]
    assert shifts == [("shift_started", "day"), ("shift_ended", "day")]


def test_a_shift_end_holds_a_running_batch_until_the_next_shift(tmp_path: object) -> None:
    from rempart.twin.scenario import parse_scenario

    text = """
[scenario]
start = 2026-01-05T00:00:00Z
hours = 36.0
[line]
faults_enabled = false
interventions_enabled = false
[line.decontamination]
first_due_h = 1000.0
[[shifts]]
name = "day"
days = ["Mon", "Tue"]
start = "07:00"
end = "09:00"
[[batches]]
product = "ROCU-10-5"
quantity = 1500
"""
    result = run_scenario(parse_scenario(text, source="short-shift.toml"))
    changes = [e for e in result.line.journal if e.kind is Kind.STATE_CHANGED]
    shift_holds = [e for e in changes if e.data["reason"] == "shift_end"]
    assert shift_holds
    assert shift_holds[0].timestamp.hour == 9
    resumed = [e for e in changes if e.data["reason"] == "shift started"]
    assert resumed
    assert resumed[0].timestamp.day == 6
    assert resumed[0].timestamp.hour == 7
    assert result.kpis["batches_completed"] == 1
