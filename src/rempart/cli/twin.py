"""`rempart twin`: run the filling line's twin headless, in Monte Carlo, or serve it.

Only typer is imported at load time; the engines (SimPy, numpy, asyncua) are imported inside
each command. Bad input (unknown scenario, bad file, bad option) prints one clear line and
exits with status 2, never a stack trace.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

SCENARIO_HELP = "A packaged scenario (normal-day, crisis-24h, no-faults-1h) or a TOML file."


def _fail(message: str) -> typer.Exit:
    typer.echo(f"rempart twin: {message}", err=True)
    return typer.Exit(code=2)


def _check_hours(hours: float | None) -> None:
    from rempart.twin.scenario import hours_problem

    if hours is not None and (problem := hours_problem(hours)) is not None:
        raise _fail(f"--hours {problem}")


def _check_seed(option: str, seed: int | None) -> None:
    from rempart.twin.scenario import seed_problem

    if seed is not None and (problem := seed_problem(seed)) is not None:
        raise _fail(f"{option} {problem}")


def _load(scenario: str) -> Any:
    from rempart.twin.errors import ScenarioError
    from rempart.twin.scenario import load_scenario

    try:
        return load_scenario(scenario)
    except ScenarioError as exc:
        raise _fail(str(exc)) from None


@app.command()
def run(
    scenario: str = typer.Option("normal-day", help=SCENARIO_HELP),
    seed: int | None = typer.Option(None, help="RNG seed (default: the scenario's own)."),
    hours: float | None = typer.Option(None, help="Simulated hours (default: the scenario's)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    journal: Annotated[
        Path | None, typer.Option(help="Write the journal here as JSON Lines.")
    ] = None,
) -> None:
    """Run a scenario headless and print its KPIs."""
    from rempart.twin.runner import run_scenario

    chosen = _load(scenario)
    _check_hours(hours)
    _check_seed("--seed", seed)
    result = run_scenario(chosen, seed=seed, hours=hours)
    if journal is not None:
        try:
            journal.write_text(result.line.journal.to_jsonl(), encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {journal}: {exc.strerror or exc}") from None
    report = {
        "scenario": chosen.name,
        "seed": result.seed,
        **result.kpis,
        "wall_seconds": round(result.wall_seconds, 4),
    }
    if as_json:
        typer.echo(json.dumps(report, sort_keys=True))
        return
    _print_table(f"twin run: {chosen.name}, seed {result.seed}", report)


def _print_table(title: str, values: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for key, value in values.items():
        if isinstance(value, float):
            shown = f"{value:,.4f}"
        elif isinstance(value, int):
            shown = f"{value:,}"
        else:
            shown = str(value)
        table.add_row(key, shown)
    Console().print(table)


@app.command()
def montecarlo(
    scenario: str = typer.Option("crisis-24h", help=SCENARIO_HELP),
    runs: int = typer.Option(100, help="Number of seeded runs (seeds first-seed … +runs-1)."),
    workers: int = typer.Option(0, help="Worker processes (0: all cores)."),
    first_seed: int = typer.Option(1, help="Seed of the first run."),
    hours: float | None = typer.Option(None, help="Simulated hours per run."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """The distribution of good vials and OEE over seeded runs: the planning capacity figure."""
    from rempart.twin.montecarlo import run_montecarlo

    chosen = _load(scenario)
    if runs < 1:
        raise _fail("--runs must be at least 1")
    if workers < 0:
        raise _fail("--workers must not be negative")
    _check_hours(hours)
    _check_seed("--first-seed", first_seed)
    _check_seed("--first-seed", first_seed + runs - 1)
    show_progress = sys.stderr.isatty() and not as_json
    if show_progress:
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task(f"{chosen.name}: {runs} runs", total=runs)
            summary = run_montecarlo(
                chosen.reference,
                runs=runs,
                workers=workers or None,
                first_seed=first_seed,
                hours=hours,
                on_progress=lambda done: progress.update(task, completed=done),
            )
    else:
        summary = run_montecarlo(
            chosen.reference,
            runs=runs,
            workers=workers or None,
            first_seed=first_seed,
            hours=hours,
        )
    report = summary.to_dict()
    if as_json:
        typer.echo(json.dumps(report, sort_keys=True))
        return
    flat = {
        f"{metric} {stat}": value
        for metric in ("vials_good", "oee")
        for stat, value in report[metric].items()
    }
    flat |= {
        "runs": report["runs"],
        "workers": report["workers"],
        "wall_seconds": report["wall_seconds"],
    }
    _print_table(f"twin montecarlo: {chosen.name}", flat)


def _check_port_free(host: str, port: int) -> None:
    """Fail with one clear line, before asyncua logs its own traceback for a busy port."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # asyncio's server sets SO_REUSEADDR too: a port in TIME_WAIT is fine for both.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(4840, help="TCP port of the OPC UA endpoint."),
    speed: float = typer.Option(60.0, help="Simulated seconds per wall second (60: 1 min/s)."),
    seed: int = typer.Option(1, help="RNG seed."),
    scenario: str = typer.Option("normal-day", help="Scenario whose line parameters are used."),
    start: str = typer.Option("now", help="Simulated start, ISO 8601 with offset, or 'now'."),
    fault_drop_sequences: str = typer.Option(
        "", help="Fault injection: ReadJournal omits these sequences, e.g. '100-200,305'."
    ),
) -> None:
    """Serve the twin over OPC UA until SIGTERM or Ctrl-C. It starts Idle in Production."""
    if not 0 < port < 65_536:
        raise _fail("--port must be between 1 and 65535")
    if not (math.isfinite(speed) and speed > 0):
        raise _fail("--speed must be a finite number greater than 0")
    _check_seed("--seed", seed)
    chosen = _load(scenario)
    if start == "now":
        started = datetime.now(UTC).replace(microsecond=0)
    else:
        try:
            started = datetime.fromisoformat(start)
        except ValueError:
            raise _fail(f"--start: not an ISO 8601 date-time: {start!r}") from None
        if started.utcoffset() is None:
            raise _fail("--start needs its UTC offset, e.g. 2026-01-05T08:00:00+00:00")
    import asyncio
    import logging

    from rempart.opcua.server import parse_sequence_ranges, serve
    from rempart.twin.line import FillingLine

    try:
        dropped = parse_sequence_ranges(fault_drop_sequences)
    except ValueError as exc:
        raise _fail(f"--fault-drop-sequences: {exc}") from None
    _check_port_free(host, port)
    logging.basicConfig(level=logging.WARNING)
    # asyncua warns at start-up that a NoSecurity endpoint has no signing policy: expected here.
    logging.getLogger("asyncua").setLevel(logging.ERROR)
    line = FillingLine(chosen.line, seed=seed, start=started)

    def ready(endpoint: str) -> None:
        typer.echo(f"rempart twin: serving {chosen.line.line_id} at {endpoint} (speed {speed:g}×)")
        if dropped:
            typer.echo(f"rempart twin: fault injection, ReadJournal omits {len(dropped)} entries")

    try:
        asyncio.run(
            serve(line, host=host, port=port, speed=speed, drop_sequences=dropped, on_ready=ready)
        )
    except OSError as exc:
        raise _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except Exception as exc:  # the twin itself failed: say so in one line, exit non-zero
        typer.echo(f"rempart twin: the twin stopped on an error: {exc!r}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo("rempart twin: stopped")
