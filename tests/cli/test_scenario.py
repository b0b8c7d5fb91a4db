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
