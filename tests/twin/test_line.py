"""The line's behaviour through its Python API: batches, commands, refusals, vial rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from rempart.domain.errors import InvalidValue
from rempart.twin.errors import CommandRefused
from rempart.twin.journal import Kind
from rempart.twin.line import FillingLine
from rempart.twin.packml import COMMAND_TRANSITIONS, Command, Mode, State
from tests.twin.conftest import VIAL_FORMATS, load, product, quiet_params

MakeLine = Callable[..., FillingLine]
HOUR_S = 3600.0


def _kinds(line: FillingLine) -> Counter[str]:
    return Counter(str(e.kind) for e in line.journal)


def _run_to(line: FillingLine, state: State, limit_s: float = 6 * HOUR_S) -> None:
    deadline = line.now_s + limit_s
    while line.state is not state:
        assert line.now_s < deadline, f"never reached {state}, stuck in {line.state}"
        line.step(10.0)


def test_a_batch_fills_its_quantity_then_completes(make_line: MakeLine) -> None:
    line = make_line()
    load(line, "B-1", quantity=120)
    assert line.command("start") is State.STARTING
    _run_to(line, State.COMPLETE)
    vials = [e for e in line.journal if e.kind is Kind.VIAL_PROCESSED]
    assert [v.data["vial_sequence"] for v in vials] == list(range(1, 121))
    assert {v.batch_id for v in vials} == {"B-1"}
    done = next(e for e in line.journal if e.kind is Kind.BATCH_COMPLETED)
    assert done.data["vials_issued"] == 120
    assert line.batch is None
    line.command(Command.RESET)
    _run_to(line, State.IDLE)


def test_every_vial_ends_in_exactly_one_terminal_state_and_counts_reconcile(
    make_line: MakeLine,
) -> None:
    params = quiet_params()
    line = make_line(params)
    load(line, "B-REC", quantity=2_000)
    line.command(Command.START)
    _run_to(line, State.COMPLETE, limit_s=10 * HOUR_S)
    vials = [e.data for e in line.journal if e.kind is Kind.VIAL_PROCESSED]
    states = Counter(v["terminal_state"] for v in vials)
    done = next(e.data for e in line.journal if e.kind is Kind.BATCH_COMPLETED)
    issued = done["vials_issued"]
    assert issued == len(vials) == 2_000
    assert sum(done[k] for k in ("accepted", "rejected", "qc_sample", "destroyed")) == issued
    for key, value in states.items():
        assert done[key] == value
    gate = params.stations.reject_gate
    assert states["qc_sample"] == gate.qc_samples_at_start + gate.qc_samples_at_end
    for vial in vials:
        rejected = vial["terminal_state"] == "rejected"
        assert rejected == (vial["reject_reason"] is not None)
        assert vial["stations"]["reject_gate"]["terminal_state"] == vial["terminal_state"]
        if vial["terminal_state"] == "accepted":
            # DOMAIN.md §3 rule 3: a vial with a missing or failed station record is never accepted.
            assert all(rec.get("passed", True) is True for rec in vial["stations"].values())


def test_a_missing_reseal_reading_rejects_the_vial(make_line: MakeLine) -> None:
    params = quiet_params()
    laser = params.stations.laser_reseal.__class__(sensor_missing_probability=1.0)
    stations = params.stations.__class__(laser_reseal=laser)
    line = make_line(quiet_params(stations=stations))
    load(line, "B-MISS", quantity=30)
    line.command(Command.START)
    _run_to(line, State.COMPLETE)
    vials = [e.data for e in line.journal if e.kind is Kind.VIAL_PROCESSED]
    assert {v["terminal_state"] for v in vials} == {"rejected"}
    assert {v["reject_reason"] for v in vials} == {"reseal_unverified"}
    assert all(v["stations"]["laser_reseal"]["sensor_c"] is None for v in vials)


def test_fill_targets_follow_the_product_and_actual_fill_its_accuracy(make_line: MakeLine) -> None:
    line = make_line()
    load(line, "B-FILL", code="CISA-5-30", quantity=400)
    line.command(Command.START)
    _run_to(line, State.COMPLETE)
    fills = [e.data["stations"]["filling"] for e in line.journal if e.kind is Kind.VIAL_PROCESSED]
    assert {f["target_ml"] for f in fills} == {30.6}
    assert {f["target_mg"] for f in fills} == {153.0}
    deviations = [f["deviation_pct"] for f in fills]
    mean = sum(deviations) / len(deviations)
    assert abs(mean - line.params.stations.filling.fill_bias_pct) < 0.15


@pytest.mark.parametrize(
    "setup",
    [
        [],
        ["load", "start", "run"],
        ["load", "start", "run", "Hold", "run"],
        ["load", "start", "run", "Suspend", "run"],
        ["load", "start", "run", "Stop", "run"],
        ["load", "start", "run", "Abort", "run"],
        ["load", "start", "complete"],
    ],
    ids=["idle", "execute", "held", "suspended", "stopped", "aborted", "complete"],
)
def test_every_refused_command_leaves_state_batch_and_journal_unchanged(
    make_line: MakeLine, setup: list[str]
) -> None:
    line = make_line()
    for step in setup:
        if step == "load":
            load(line, "B-REF", quantity=2_000)
        elif step == "start":
            line.command(Command.START)
        elif step == "run":
            line.step(2 * HOUR_S)
        elif step == "complete":
            _run_to(line, State.COMPLETE)
        else:
            line.command(step)
            line.step(60.0)
    state, last, batch = line.state, line.journal.last_sequence, line.batch
    refused = [c for c in Command if (state, c) not in COMMAND_TRANSITIONS]
    if state is State.IDLE:
        refused.append(Command.START)  # no batch loaded
    assert refused
    for command in refused:
        with pytest.raises(CommandRefused):
            line.command(command)
        assert (line.state, line.journal.last_sequence, line.batch) == (state, last, batch)
    with pytest.raises(CommandRefused, match="unknown command"):
        line.command("Jog")
    assert line.journal.last_sequence == last


def test_load_batch_refusals_change_nothing(make_line: MakeLine) -> None:
    line = make_line()
    last = line.journal.last_sequence
    rocu = product("ROCU-10-5")
    with pytest.raises(InvalidValue, match="target_quantity"):
        line.load_batch("B-Q", rocu, rocu.vial_format, 0)
    with pytest.raises(InvalidValue, match="vial_format"):
        line.load_batch("B-F", product("CISA-5-30"), VIAL_FORMATS["V5"], 10)
    with pytest.raises(InvalidValue, match="batch_id"):
        line.load_batch("  ", rocu, rocu.vial_format, 10)
    for control in ("B\x00-1", "B\n1"):  # a NUL reached the journal, and the MES refused it
        with pytest.raises(InvalidValue, match="no control characters"):
            line.load_batch(control, rocu, rocu.vial_format, 10)
    assert line.batch is None
    assert line.journal.last_sequence == last
    load(line, "B-OK")
    with pytest.raises(CommandRefused, match="already loaded"):
        load(line, "B-OTHER")
    line.command(Command.STOP)
    line.step(60)
    line.command(Command.RESET)
    line.step(60)
    with pytest.raises(CommandRefused, match="already used"):
        load(line, "B-OK")


def test_stop_mid_batch_terminates_it_and_abort_destroys_the_vial_in_the_machine(
    make_line: MakeLine,
) -> None:
    line = make_line()
    load(line, "B-STOP", quantity=500)
    line.command(Command.START)
    line.step(2 * HOUR_S)
    line.command(Command.STOP)
    ended = [e for e in line.journal if e.kind is Kind.BATCH_TERMINATED]
    assert ended[-1].data["reason"] == "stopped"
    line.step(60)
    line.command(Command.RESET)
    line.step(60)
    load(line, "B-ABORT", quantity=500)
    line.command(Command.START)
    line.step(2 * HOUR_S + 3.0)  # mid-cycle: the vial in the machine cannot be trusted
    line.command(Command.ABORT)
    last_vial = [e for e in line.journal if e.kind is Kind.VIAL_PROCESSED][-1]
    assert last_vial.data["terminal_state"] == "destroyed"
    terminated = [e for e in line.journal if e.kind is Kind.BATCH_TERMINATED][-1]
    assert terminated.data["reason"] == "aborted"
    assert terminated.data["destroyed"] == 1
    assert terminated.data["vials_issued"] == last_vial.data["vial_sequence"]
    line.step(60)
    assert line.state is State.ABORTED
    line.command(Command.CLEAR)
    line.step(120)
    assert line.state is State.STOPPED


def test_hold_and_suspend_pause_filling_and_resume(make_line: MakeLine) -> None:
    line = make_line()
    load(line, "B-HOLD", quantity=2_000)
    line.command(Command.START)
    _run_to(line, State.EXECUTE)
    line.step(600)
    line.command(Command.HOLD)
    line.step(60)
    assert line.state is State.HELD
    issued = line.batch.issued if line.batch else -1
    line.step(HOUR_S)
    assert line.batch is not None
    assert line.batch.issued == issued
    line.command(Command.UNHOLD)
    _run_to(line, State.EXECUTE)
    line.step(600)
    line.command(Command.SUSPEND)
    line.step(60)
    assert line.state is State.SUSPENDED
    line.command(Command.UNSUSPEND)
    _run_to(line, State.EXECUTE)
    line.step(600)
    assert line.batch is not None
    assert line.batch.issued > issued


def test_maintenance_mode_runs_dry_and_refuses_loading(make_line: MakeLine) -> None:
    line = make_line()
    line.set_mode("maintenance")
    assert line.mode is Mode.MAINTENANCE
    with pytest.raises(CommandRefused, match="Production"):
        load(line, "B-M")
    line.command(Command.START)
    line.step(HOUR_S)
    assert line.state is State.EXECUTE
    assert _kinds(line)["vial_processed"] == 0
    with pytest.raises(CommandRefused):
        line.set_mode(Mode.PRODUCTION)  # only at rest
    line.command(Command.STOP)
    line.step(60)
    line.set_mode(Mode.PRODUCTION)
    modes = [e.data for e in line.journal if e.kind is Kind.MODE_CHANGED]
    assert modes == [
        {"from": "Production", "to": "Maintenance"},
        {"from": "Maintenance", "to": "Production"},
    ]


def test_a_format_change_adds_the_changeover_to_the_set_up(make_line: MakeLine) -> None:
    line = make_line()
    durations = line.params.durations
    for batch_id, code in (("B-A", "ROCU-10-5"), ("B-B", "ATRA-10-5"), ("B-C", "CISA-2-10")):
        load(line, batch_id, code=code, quantity=20)
        line.command(Command.START)
        _run_to(line, State.COMPLETE)
        line.command(Command.RESET)
        _run_to(line, State.IDLE)
    started = [e.data for e in line.journal if e.kind is Kind.BATCH_STARTED]
    base_s = (durations.line_clearance_min + durations.batch_setup_min) * 60
    assert [s["format_changeover"] for s in started] == [False, False, True]
    assert [s["setup_s"] for s in started] == [
        base_s,
        base_s,
        base_s + durations.format_changeover_min * 60,
    ]
