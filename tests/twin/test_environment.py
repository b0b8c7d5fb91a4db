"""The grade A environment: particle readings every minute, classified; viable samples."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta

from rempart.domain.environment import Level, annex1_grade_a_limits
from rempart.twin.journal import Kind
from rempart.twin.line import FillingLine
from rempart.twin.packml import Command, State
from rempart.twin.params import LineParams, ParticleParams
from tests.twin.conftest import load

MakeLine = Callable[..., FillingLine]


def test_particles_are_read_at_least_once_a_simulated_minute_even_when_idle(
    make_line: MakeLine,
) -> None:
    line = make_line()
    line.step(3 * 3600)
    readings = [e for e in line.journal if e.kind is Kind.PARTICLE_READING]
    assert len(readings) == 180
    gaps = [(b.timestamp - a.timestamp) for a, b in itertools.pairwise(readings)]
    assert max(gaps) <= timedelta(seconds=60)
    limits = annex1_grade_a_limits()
    for reading in readings:
        data = reading.data
        level = limits.classify(data["count_0_5um_per_m3"], data["count_5um_per_m3"])
        assert data["level"] == str(level)
        assert data["limit_set_version"] == limits.version


def test_excursions_raise_and_clear_environment_alarms(make_line: MakeLine) -> None:
    noisy = ParticleParams(excursion_probability=0.2)
    line = make_line(dataclasses.replace(LineParams(), particles=noisy))
    line.step(6 * 3600)
    counts = line.em_counts
    assert counts[Level.ALERT] + counts[Level.ACTION] > 10
    raised = [
        e.data
        for e in line.journal
        if e.kind is Kind.ALARM_RAISED and e.data["station"] == "environment"
    ]
    cleared = [
        e.data
        for e in line.journal
        if e.kind is Kind.ALARM_CLEARED and e.data["station"] == "environment"
    ]
    assert raised
    assert len(raised) - len(cleared) in (0, 1)
    assert {r["code"] for r in raised} <= {"particles_alert", "particles_action"}


def test_viable_samples_per_batch_with_results_days_later(make_line: MakeLine) -> None:
    line = make_line()
    load(line, "B-V", quantity=2_500)
    line.command(Command.START)
    while line.state is not State.COMPLETE:
        line.step(600)
    taken = [e for e in line.journal if e.kind is Kind.VIABLE_SAMPLE_TAKEN]
    types = {e.data["sample_type"] for e in taken}
    assert types == {"settle_plate_cfu_per_4h"}  # no glove port used: no glove print
    assert {e.batch_id for e in taken} == {"B-V"}
    viable = line.params.viable
    for sample in taken:
        available = datetime.fromisoformat(
            sample.data["result_available_at"].replace("Z", "+00:00")
        )
        delay = available - sample.timestamp
        assert (
            timedelta(days=viable.incubation_min_days)
            <= delay
            <= timedelta(days=viable.incubation_max_days)
        )
    assert not [e for e in line.journal if e.kind is Kind.VIABLE_SAMPLE_RESULT]
    line.step(6 * 86_400)
    results = [e for e in line.journal if e.kind is Kind.VIABLE_SAMPLE_RESULT]
    assert {r.data["sample_id"] for r in results} == {t.data["sample_id"] for t in taken}
    for result in results:
        assert result.data["level"] == ("ok" if result.data["cfu"] == 0 else "action")


def test_glove_prints_are_taken_for_each_glove_port_used() -> None:
    from rempart.twin.runner import run_scenario

    result = run_scenario("crisis-24h", seed=2)
    entries = list(result.line.journal)
    for batch_id in {e.batch_id for e in entries if e.kind is Kind.BATCH_COMPLETED}:
        ports = {
            e.data["glove_port"]
            for e in entries
            if e.kind is Kind.INTERVENTION_STARTED and e.batch_id == batch_id
        }
        gloves = {
            e.data["location"]
            for e in entries
            if e.kind is Kind.VIABLE_SAMPLE_TAKEN
            and e.batch_id == batch_id
            and e.data["sample_type"] == "glove_print_cfu_per_glove"
        }
        assert gloves == {f"glove port {p}" for p in ports}
