"""`rempart scenario ...`: replay crisis scenarios (docs/scenarios.md). Planning loads lazily.

A bad scenario name or file prints one line naming the file and the field (or line) and exits
with code 2, without a stack trace.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def _fail(message: str) -> NoReturn:
    typer.echo(f"rempart scenario: {message}", err=True)
    raise typer.Exit(code=2)


@app.command("list")
def list_scenarios() -> None:
    """List the scenarios shipped with rempart."""
    from rempart.planning.scenario import ScenarioError, load_scenario, packaged_scenarios

    for name in packaged_scenarios():
        try:
            scenario = load_scenario(name)
        except ScenarioError as exc:
            typer.echo(f"{name}  (invalid: {exc})")
            continue
        typer.echo(
            f"{name}  {scenario.start} → {scenario.end} ({scenario.days} days, "
            f"{len(scenario.products)} products; --quick: {scenario.quick_days} days, "
            f"{len(scenario.quick_products)} products)  {scenario.title}"
        )


@app.command("run")
def run_scenario(
    scenario: Annotated[
        str, typer.Argument(help="A packaged scenario name (see `list`) or a scenario .json file.")
    ],
    seed: Annotated[int, typer.Option("--seed", help="Seed of demand and forecast noise.")] = 1,
    days: Annotated[
        int | None, typer.Option("--days", help="Replay only the first N days.", min=1)
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="The file's short variant (fewer days and products).")
    ] = False,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Also write every figure and the daily series to this file."),
    ] = None,
) -> None:
    """Replay a scenario day by day with the line, against a baseline without it."""
    from rich.console import Console
    from rich.table import Table

    from rempart.planning.problem import PlanningProblemError
    from rempart.planning.replay import run
    from rempart.planning.scenario import ScenarioError, load_scenario

    try:
        loaded = load_scenario(scenario)
        prepared = loaded.quick() if quick else loaded
        if days is not None:
            prepared = prepared.with_days(days)
    except ScenarioError as exc:
        _fail(str(exc))
    console = Console(stderr=True)
    try:
        if console.is_terminal:
            from rich.progress import Progress

            with Progress(console=console, transient=True) as progress:
                task = progress.add_task(f"replaying {loaded.name}", total=prepared.days)
                result = run(
                    loaded,
                    seed,
                    quick=quick,
                    days=days,
                    progress=lambda day, _n: progress.update(task, completed=day),
                )
        else:
            result = run(loaded, seed, quick=quick, days=days)
    except PlanningProblemError as exc:
        # Figures each within range can still multiply into a daily problem planning refuses.
        _fail(f"{scenario}: the scenario's figures give a planning problem rempart refuses: {exc}")
    line, base = result.with_line, result.baseline
    table = Table(
        title=(
            f"{result.scenario} {result.start} → {result.end}, {result.days} days, "
            f"{len(result.products)} products, {result.hospitals} hospitals, seed {result.seed}"
        )
    )
    table.add_column("")
    table.add_column("with the line", justify="right")
    table.add_column("baseline (no line)", justify="right")
    table.add_row(
        "regional fill rate", f"{line.regional_fill_rate:.1%}", f"{base.regional_fill_rate:.1%}"
    )
    table.add_row(
        "minimum hospital fill rate",
        f"{line.min_hospital_fill_rate:.1%} ({line.min_hospital})",
        f"{base.min_hospital_fill_rate:.1%} ({base.min_hospital})",
    )
    table.add_row("vials demanded", f"{line.demand_vials:,.0f}", f"{base.demand_vials:,.0f}")
    table.add_row("vials served", f"{line.served_vials:,.0f}", f"{base.served_vials:,.0f}")
    table.add_row("days in crisis regime", str(line.crisis_days), "-")
    table.add_row("vials made", f"{line.vials_made:,.0f}", "-")
    table.add_row("vials expired", f"{line.vials_expired:,.0f}", f"{base.vials_expired:,.0f}")
    out = Console(file=sys.stdout, width=110)
    out.print(table)
    worst = sorted(line.product_fill_rates.items(), key=lambda item: item[1])[:3]
    out.print(
        "lowest product fill rates with the line: "
        + ", ".join(
            f"{code} {rate:.1%} (baseline {base.product_fill_rates[code]:.1%})"
            for code, rate in worst
        )
    )
    out.print(
        f"time taken {result.seconds:.1f} s; {result.solves} daily solves, "
        f"{result.solves_at_time_limit} not proven within the gap "
        f"(time limit {prepared.time_limit_s:g} s: figures are reproducible for a seed only "
        f"when this is 0), {result.solves_failed} without a plan, "
        f"{result.crisis_switch_ons_deferred} crisis switch-ons deferred"
    )
    if json_out is not None:
        try:
            json_out.write_text(
                json.dumps(result.to_dict(daily=True), indent=1, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
        except OSError as exc:
            _fail(f"{json_out}: {exc.strerror or exc}")
        out.print(f"written to {json_out}")
