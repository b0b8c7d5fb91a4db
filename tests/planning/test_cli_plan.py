"""`rempart plan` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.planning.io import problem_to_dict

from .test_formats import _problem
from .tiny import tiny_problem

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def test_example_writes_a_problem_that_solve_reads(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", "example", "--region", "hauts-de-france", "--days", "21"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert len(document["hospitals"]) == 17
    assert len(document["periods"]) == 21
    path = tmp_path / "problem.json"
    path.write_text(result.stdout)
    solved = runner.invoke(app, ["plan", "solve", str(path), "--time-limit", "4", "--json"])
    assert solved.exit_code == 0, solved.output
    out = json.loads(solved.stdout)
    assert {"status", "objective", "bound", "gap", "seconds", "fill_rates", "plan"} <= set(out)
    assert out["status"] in ("optimal", "feasible", "time_limit_no_solution")


def test_solve_a_dat_file_as_json() -> None:
    result = runner.invoke(app, ["plan", "solve", str(DATA / "synthetic17.DAT"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["status"] == "optimal"
    assert out["gap"] is not None
    assert out["gap"] <= 1e-4


def test_unknown_region_and_bad_file_exit_2_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", "example", "--region", "atlantis"])
    assert result.exit_code == 2
    assert "unknown region" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "rempart-planning-problem/1", "name": "x"}))
    result = runner.invoke(app, ["plan", "solve", str(bad)])
    assert result.exit_code == 2
    assert "'period_days' is a required property" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["plan", "solve", str(tmp_path / "nope.dat")])
    assert missing.exit_code == 2
    assert "no such file" in missing.output


def test_bench_prints_a_table_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = runner.invoke(
        app, ["plan", "bench", str(DATA), "--time-limit", "10", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "synthetic17" in result.output
    rows = json.loads(out.read_text())
    assert rows[0]["status"] == "optimal"


def test_solve_says_how_many_format_changes_the_plan_makes(tmp_path: Path) -> None:
    path = tmp_path / "formats.json"
    path.write_text(json.dumps(problem_to_dict(_problem("A"))))
    result = runner.invoke(app, ["plan", "solve", str(path), "--time-limit", "10"])
    assert result.exit_code == 0, result.output
    assert "4 lots, 1 vial format change(s), the line ends in B" in result.output


def test_solve_says_which_format_changes_prepare_the_next_period(tmp_path: Path) -> None:
    problem = _problem("A")
    data = problem_to_dict(problem)
    # Day 3 has no room for a change any more: day 2 fills A and prepares B.
    data["demand"] = [
        {"hospital": "H", "product": "PA", "vials": [3, 3, 3, 0]},
        {"hospital": "H", "product": "PB", "vials": [0, 0, 0, 3]},
    ]
    data["prepare_next_format"] = True
    path = tmp_path / "prepare.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["plan", "solve", str(path), "--time-limit", "10"])
    assert result.exit_code == 0, result.output
    assert "1 vial format change(s) (1 after a period's lots, for the next period)" in result.output


def test_solve_prints_each_stage_in_its_own_unit(tmp_path: Path) -> None:
    # 4 vials for a demand of 8 split between two hospitals: each gets half.
    problem = tiny_problem({("A", "P"): (0.0, 4.0), ("B", "P"): (0.0, 4.0)}, (4.0, 0.0))
    path = tmp_path / "shortage.json"
    path.write_text(json.dumps(problem_to_dict(problem)))
    result = runner.invoke(app, ["plan", "solve", str(path), "--time-limit", "10"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == "  cost 104.00, bound 104.00, gap 0.00%"
    assert lines[2].startswith(
        "  stage fairness: optimal, minimum fill rate 50.00%, at most 50.00%, gap 0.00%, "
    )
    assert lines[3].startswith(
        "  stage shortage: optimal, weighted unmet vials 20.00, bound 20.00, gap 0.00%, "
    )
    assert lines[4].startswith("  stage cost: optimal, cost 104.00, bound 104.00, gap 0.00%, ")


def test_bench_refuses_a_time_limit_that_is_not_a_number_without_traceback() -> None:
    result = runner.invoke(
        app, ["plan", "bench", str(DATA / "synthetic17.DAT"), "--time-limit", "nan"]
    )
    assert result.exit_code == 2
    assert "time_limit_s must be a finite number > 0, got nan" in result.output
    assert "Traceback" not in result.output


def test_solve_refuses_a_horizon_too_long_to_model_naming_the_periods(tmp_path: Path) -> None:
    document = problem_to_dict(tiny_problem({("H", "P"): (1.0,) * 30}, (10.0,) * 30))
    n = 1_500
    document["periods"] = [f"d{t}" for t in range(n)]
    document["regimes"][0]["capacity_hours"] = [10.0] * n
    document["demand"][0]["vials"] = [1.0] * n
    path = tmp_path / "long.json"
    path.write_text(json.dumps(document))
    result = runner.invoke(app, ["plan", "solve", str(path)])
    assert result.exit_code == 2
    assert "$.periods" in result.output
    assert "1,125,750 production arcs" in result.output
    assert "Traceback" not in result.output


def test_solve_counts_unmet_vials_with_thousands_separators(tmp_path: Path) -> None:
    # 100 line hours at 1 h a vial against 2,000 vials: 1,900 unmet for lack of capacity.
    problem = tiny_problem({("H", "P"): (0.0, 2000.0)}, (100.0, 0.0))
    path = tmp_path / "short.json"
    path.write_text(json.dumps(problem_to_dict(problem)))
    result = runner.invoke(app, ["plan", "solve", str(path), "--time-limit", "10"])
    assert result.exit_code == 0, result.output
    assert "unmet 1,900 vials because of capacity, e.g. P at H in period 1" in result.output


def test_a_rationed_fraction_of_a_vial_reads_under_one() -> None:
    from rempart.cli.plan import _vials

    assert [_vials(v) for v in (0.3, 0.99, 1.4, 22191.4)] == ["under 1", "under 1", "1", "22,191"]


def test_solve_refuses_json_nested_too_deeply_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = runner.invoke(app, ["plan", "solve", str(path)])
    assert result.exit_code == 2
    assert "deep.json, line 1: not valid JSON: nested deeper than 64 levels" in result.output
