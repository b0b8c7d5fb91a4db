"""`rempart twin ...` through typer's CliRunner: output, JSON keys, files, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.twin.kpi import KPI_KEYS

runner = CliRunner()


def test_run_json_prints_every_kpi_and_the_wall_time(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    result = runner.invoke(
        app,
        [
            "twin",
            "run",
            "--scenario",
            "no-faults-1h",
            "--seed",
            "3",
            "--json",
            "--journal",
            str(journal),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(KPI_KEYS) | {"wall_seconds", "scenario", "seed"} <= set(report)
    assert report["vials_processed"] == 600
    lines = journal.read_text(encoding="utf-8").splitlines()
    assert len(lines) == report["journal_entries"]
    assert [json.loads(line)["sequence"] for line in lines] == list(range(1, len(lines) + 1))


def test_run_prints_a_table_and_accepts_a_shorter_horizon() -> None:
    result = runner.invoke(app, ["twin", "run", "--scenario", "normal-day", "--hours", "6"])
    assert result.exit_code == 0, result.output
    assert "vials_good" in result.output
    assert "oee" in result.output


def test_a_bad_scenario_exits_2_with_a_message_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[scenario]\nstart = 2026-01-05T00:00:00Z\nhours = 1.0\n[line]\nspeed = 3\n",
        encoding="utf-8",
    )
    for args in (
        ["twin", "run", "--scenario", str(bad)],
        ["twin", "run", "--scenario", "no-such-day"],
        ["twin", "run", "--scenario", "no-faults-1h", "--hours", "-1"],
        ["twin", "montecarlo", "--scenario", "no-faults-1h", "--runs", "0"],
        ["twin", "serve", "--port", "70000"],
        ["twin", "run", "--scenario", "no-faults-1h", "--hours", "nan"],
        ["twin", "run", "--scenario", "no-faults-1h", "--hours", "1e12"],
        ["twin", "run", "--scenario", "no-faults-1h", "--seed", "-5"],
        ["twin", "montecarlo", "--scenario", "no-faults-1h", "--first-seed", "-1"],
        ["twin", "montecarlo", "--scenario", "no-faults-1h", "--hours", "inf"],
        ["twin", "serve", "--speed", "0"],
        ["twin", "serve", "--speed", "nan"],
        ["twin", "serve", "--seed", "-1"],
        ["twin", "serve", "--start", "yesterday"],
        ["twin", "serve", "--fault-drop-sequences", "20-10"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        assert result.output.startswith("rempart twin: ") or "Error" in result.output
    result = runner.invoke(app, ["twin", "run", "--scenario", str(bad)])
    assert f"{bad}: line.speed: unknown key" in result.output


def test_montecarlo_json_gives_the_distribution() -> None:
    result = runner.invoke(
        app,
        [
            "twin",
            "montecarlo",
            "--scenario",
            "no-faults-1h",
            "--runs",
            "3",
            "--workers",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["runs"] == 3
    assert set(report["vials_good"]) >= {"p10", "p50", "p90", "mean"}
    assert set(report["oee"]) >= {"p10", "p50", "p90", "mean"}


def test_serve_on_a_busy_port_exits_2_with_one_line() -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["twin", "serve", "--port", str(port)])
    assert result.exit_code == 2
    assert f"rempart twin: cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_montecarlo_workers_load_a_scenario_file_by_its_path(tmp_path: Path) -> None:
    from importlib import resources

    text = (resources.files("rempart.twin") / "scenarios" / "no-faults-1h.toml").read_text("utf-8")
    path = tmp_path / "my-hour.toml"
    path.write_text(text.replace("hours = 1.0", "hours = 0.5"), encoding="utf-8")
    result = runner.invoke(
        app,
        ["twin", "montecarlo", "--scenario", str(path), "--runs", "2", "--workers", "2", "--json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["vials_good"]["max"] <= 300
