"""`rempart scenario` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rempart.cli.main import app

runner = CliRunner()


def test_list_shows_the_packaged_scenario() -> None:
    result = runner.invoke(app, ["scenario", "list"])
    assert result.exit_code == 0, result.output
    assert "covid-2020" in result.output
    assert "2020-03-01" in result.output


def test_run_prints_the_table_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "replay.json"
    result = runner.invoke(
        app,
        [
            "scenario",
            "run",
            "covid-2020",
            "--quick",
            "--days",
            "4",
            "--seed",
            "2",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    for words in (
        "regional fill rate",
        "minimum hospital fill rate",
        "days in crisis regime",
        "vials made",
        "with the line",
        "baseline (no line)",
        "time taken",
    ):
        assert words in result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["days"] == 4
    assert document["seed"] == 2
    assert document["quick"] is True
    assert len(document["with_line"]["daily"]) == 4
    assert document["baseline"]["vials_made"] == 0


def test_bad_name_and_bad_file_exit_2_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["scenario", "run", "covid-2021"])
    assert result.exit_code == 2
    assert "no such scenario" in result.output
    assert "covid-2020" in result.output
    assert "Traceback" not in result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "rempart-scenario/1", "name": "x"}), encoding="utf-8")
    result = runner.invoke(app, ["scenario", "run", str(bad)])
    assert result.exit_code == 2
    assert "bad.json: $.notes: is required" in result.output
    assert "Traceback" not in result.output


def _covid_with(tmp_path: Path, vials_per_patient_day: float) -> Path:
    from importlib import resources

    packaged = resources.files("rempart.planning").joinpath("scenarios/covid-2020.json")
    document = json.loads(packaged.read_text(encoding="utf-8"))
    document["products"][0]["vials_per_patient_day"] = vials_per_patient_day
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_huge_figure_is_refused_by_name(tmp_path: Path) -> None:
    result = runner.invoke(app, ["scenario", "run", str(_covid_with(tmp_path, 1e300))])
    assert result.exit_code == 2
    assert "$.products[0].vials_per_patient_day: must be <= 1e+09, got 1e+300" in result.output
    assert "Traceback" not in result.output


def test_figures_that_multiply_into_a_refused_problem_exit_2(tmp_path: Path) -> None:
    # Each figure is in range, but the stock it implies (vials a patient-day times beds times
    # days of stock) is above what a planning problem accepts.
    path = _covid_with(tmp_path, 5e8)
    result = runner.invoke(app, ["scenario", "run", str(path), "--days", "1"])
    assert result.exit_code == 2
    assert "the scenario's figures give a planning problem rempart refuses" in result.output
    assert "quantity_vials must be at most 1e+09" in result.output
    assert "Traceback" not in result.output
