"""Scenario files: packaged ones load; a bad file names the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.twin.errors import ScenarioError
from rempart.twin.scenario import load_scenario, packaged_scenarios, parse_scenario

GOOD = """
[scenario]
name = "mine"
start = 2026-01-05T00:00:00Z
hours = 2.0

[[batches]]
product = "ROCU-10-5"
quantity = 100
"""


def test_the_three_packaged_scenarios_load() -> None:
    assert {"normal-day", "crisis-24h", "no-faults-1h"} <= set(packaged_scenarios())
    for name in packaged_scenarios():
        scenario = load_scenario(name)
        assert scenario.name == name
        assert scenario.start.utcoffset() is not None


def test_a_file_overrides_nested_parameters(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        GOOD + "\n[line.stations.filling]\nfill_sd_pct = 1.5\n[line]\nline_id = 'L2'\n",
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    assert scenario.line.stations.filling.fill_sd_pct == 1.5
    assert scenario.line.line_id == "L2"
    assert scenario.plan.orders[0].quantity == 100


@pytest.mark.parametrize(
    ("extra", "key", "problem"),
    [
        (
            "[line.stations.filling]\nfill_sd_pct = 'wide'\n",
            "line.stations.filling.fill_sd_pct",
            "expected float",
        ),
        ("[line.stations.filling]\nneedles = 2\n", "line.stations.filling.needles", "unknown key"),
        (
            "[line.stations.capping]\ncycle_time_s = -1.0\n",
            "line.stations.capping.cycle_time_s",
            "greater than 0",
        ),
        (
            "[line.particles]\nsample_interval_s = 120.0\n",
            "line.particles.sample_interval_s",
            "once a minute",
        ),
        (
            "[line.particles.limits]\naction_5um = 40\n",
            "line.particles.limits.action_5um",
            "exceeds Annex 1",
        ),
        (
            "[line.stations.filling]\nfill_distribution = 'cauchy'\n",
            "line.stations.filling.fill_distribution",
            "normal",
        ),
        (
            "[[shifts]]\nname = 'x'\ndays = ['Mon']\nstart = '7h'\nend = '15:00'\n",
            "shifts[0].start",
            "time of day",
        ),
        (
            "[[shifts]]\nname = 'x'\ndays = ['Lun']\nstart = '07:00'\nend = '15:00'\n",
            "shifts[0].days",
            "not one of",
        ),
        (
            "[[batches]]\nproduct = 'ASPIRIN'\nquantity = 5\n",
            "batches[1].product",
            "unknown product",
        ),
        ("[[batches]]\nproduct = 'ROCU-10-5'\nquantity = 0\n", "batches[1].quantity", "at least 1"),
        ("[weather]\nsunny = true\n", "weather", "unknown key"),
    ],
)
def test_a_bad_file_is_refused_with_its_name_key_and_problem(
    tmp_path: Path, extra: str, key: str, problem: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(GOOD + extra, encoding="utf-8")
    with pytest.raises(ScenarioError) as refused:
        load_scenario(path)
    message = str(refused.value)
    assert str(path) in message
    assert f": {key}: " in message
    assert problem in message
    assert refused.value.key == key


def test_syntax_errors_missing_offsets_and_unknown_names_are_named() -> None:
    with pytest.raises(ScenarioError, match=r"x\.toml: \(syntax\)"):
        parse_scenario("[scenario\n", source="x.toml")
    deep = "a = " + "[" * 100_000 + "]" * 100_000  # tomllib raised RecursionError on it
    with pytest.raises(ScenarioError, match=r"d\.toml: \(syntax\): .*nested too deeply"):
        parse_scenario(deep, source="d.toml")
    local = GOOD.replace("2026-01-05T00:00:00Z", "2026-01-05T00:00:00")
    with pytest.raises(ScenarioError, match=r"y\.toml: scenario\.start: .*offset"):
        parse_scenario(local, source="y.toml")
    with pytest.raises(ScenarioError, match="no such scenario; packaged: "):
        load_scenario("no-such-day")
    with pytest.raises(ScenarioError, match=r"\(file\)"):
        load_scenario(Path("/nonexistent/dir/s.toml"))


@pytest.mark.parametrize(
    ("head", "key", "problem"),
    [
        ("hours = nan", "scenario.hours", "finite number greater than 0"),
        ("hours = inf", "scenario.hours", "finite number greater than 0"),
        ("hours = 1e12", "scenario.hours", "at most 8784 (a year)"),
        ("hours = 2.0\nseed = -5", "scenario.seed", "between 0 and"),
    ],
)
def test_run_length_and_seed_out_of_range_are_refused(head: str, key: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as refused:
        parse_scenario(GOOD.replace("hours = 2.0", head), source="z.toml")
    assert refused.value.key == key
    assert problem in str(refused.value)
