"""`rempart plan ...`: solve, benchmark and example problems. Planning is imported lazily.

Bad input (a malformed file, a bad option) prints one line naming the field or line and exits
with code 2, without a stack trace.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from rempart.planning.plan import StageResult

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def _fail(message: str) -> NoReturn:
    typer.echo(f"rempart plan: {message}", err=True)
    raise typer.Exit(code=2)


@app.command()
def solve(
    file: Annotated[
        Path, typer.Argument(help="A rempart problem (.json) or a Trigeiro file (.dat).")
    ],
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds, model building included.")
    ] = 60.0,
    threads: Annotated[int, typer.Option("--threads", help="HiGHS threads.")] = 1,
    mip_gap: Annotated[
        float, typer.Option("--mip-gap", help="Relative MIP gap accepted per stage.")
    ] = 1e-4,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Solve a planning problem and print status, objective, bound, gap and the plan."""
    from rempart.planning.io import ProblemFormatError, load_problem
    from rempart.planning.solve import SolveOptions
    from rempart.planning.solve import solve as run_solve

    try:
        options = SolveOptions(time_limit_s=time_limit, threads=threads, mip_rel_gap=mip_gap)
    except ValueError as exc:
        _fail(str(exc))
    try:
        problem = load_problem(file)
    except ProblemFormatError as exc:
        _fail(str(exc))
    plan = run_solve(problem, options)
    if as_json:
        out = plan.to_dict() if problem.allow_unmet_demand else plan.summary()
        if not problem.allow_unmet_demand:
            out["plan"] = {"lots": [vars_of(lot) for lot in plan.lots]}
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    typer.echo(f"{plan.problem_name}: {plan.status.value} in {plan.seconds:.1f} s")
    typer.echo(
        f"  {'cost' if problem.allow_unmet_demand else 'objective'} {_number(plan.objective)}, "
        f"bound {_number(plan.bound)}, gap {_percent(plan.gap)}"
    )
    for stage in plan.stages:
        typer.echo(
            f"  stage {stage.name}: {stage.status.value}, {_stage_values(stage)}, "
            f"gap {_percent(stage.gap)}, {stage.seconds:.1f} s of {stage.time_limit_s:.1f} s"
        )
    if plan.objective is None:
        for message in plan.messages:
            typer.echo(f"  {message}")
    if plan.min_fill_rate is not None:
        typer.echo(f"  minimum fill rate {plan.min_fill_rate:.1%} (hospital x product)")
    regimes = sorted(
        {(u.regime, sum(v.regime == u.regime for v in plan.periods)) for u in plan.periods}
    )
    if len(regimes) > 1 or (regimes and plan.weighted_shortage):
        typer.echo("  regimes: " + ", ".join(f"{name} {n} periods" for name, n in regimes))
    if plan.lots:
        changes = sum(u.format_changes for u in plan.periods)
        prepared = sum(u.prepared_format is not None for u in plan.periods)
        last = plan.periods[-1].line_format if plan.periods else None
        typer.echo(
            f"  {len(plan.lots)} lots, {changes} vial format change(s)"
            + (f" ({prepared} after a period's lots, for the next period)" if prepared else "")
            + (f", the line ends in {last}" if last else "")
        )
    reasons: dict[str, float] = {}
    for shortage in plan.shortages:
        reasons[shortage.reason.value] = (
            reasons.get(shortage.reason.value, 0.0) + shortage.unmet_vials
        )
    for reason, vials in sorted(reasons.items(), key=lambda item: -item[1]):
        example = max(
            (s for s in plan.shortages if s.reason.value == reason), key=lambda s: s.unmet_vials
        )
        typer.echo(
            f"  unmet {_vials(vials)} vials because of {reason}, e.g. {example.product} at "
            f"{example.hospital} in period {example.period}: {example.detail}"
        )
    for lot in plan.lots[:20]:
        typer.echo(f"  lot {lot.product} in period {lot.period}: {lot.vials:.0f} vials")
    if len(plan.lots) > 20:
        typer.echo(f"  ... {len(plan.lots) - 20} more lots (use --json)")
    for violation in plan.check_violations:
        typer.echo(f"  CHECK FAILED: {violation}")


def _vials(value: float) -> str:
    """A count of vials as a pharmacist reads it: 22,191, or "under 1" for a rationed fraction."""
    return "under 1" if value < 1 else f"{value:,.0f}"


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:,.2f}"


def _percent(value: float | None, digits: int = 2) -> str:
    return "none" if value is None else f"{value:.{digits}%}"


def _stage_values(stage: StageResult) -> str:
    """A stage's objective and bound in its own unit (fill rate, weighted vials, vials, cost)."""
    if stage.name == "fairness":
        return f"minimum fill rate {_percent(stage.objective)}, at most {_percent(stage.bound)}"
    label = {
        "shortage": "weighted unmet vials",
        "expiry": "expired vials",
    }.get(stage.name, "cost")
    return f"{label} {_number(stage.objective)}, bound {_number(stage.bound)}"


def vars_of(obj: object) -> dict[str, object]:
    from dataclasses import asdict, is_dataclass

    assert is_dataclass(obj)
    assert not isinstance(obj, type)
    return asdict(obj)


@app.command()
def bench(
    paths: Annotated[list[Path], typer.Argument(help="Problem files (.dat or .json) or folders.")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per instance.")] = 30.0,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the results as JSON here.")
    ] = None,
) -> None:
    """Solve several problems (1 thread each) with a progress bar; print a table."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from rempart.planning.io import ProblemFormatError, load_problem
    from rempart.planning.solve import SolveOptions
    from rempart.planning.solve import solve as run_solve

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in (".dat", ".json"))
        else:
            files.append(path)
    if not files:
        _fail("no .dat or .json file found")
    try:
        options = SolveOptions(time_limit_s=time_limit, threads=1)
    except ValueError as exc:
        _fail(str(exc))
    rows = []
    with Progress(transient=True) as progress:
        task = progress.add_task("solving", total=len(files))
        for path in files:
            progress.update(task, description=path.name)
            try:
                problem = load_problem(path)
            except ProblemFormatError as exc:
                _fail(str(exc))
            plan = run_solve(problem, options)
            rows.append({"file": str(path), **plan.summary()})
            progress.advance(task)
    table = Table("file", "status", "objective", "bound", "gap", "seconds")
    for row in rows:
        gap = row["gap"]
        table.add_row(
            Path(str(row["file"])).name,
            str(row["status"]),
            f"{row['objective']:.2f}" if row["objective"] is not None else "-",
            f"{row['bound']:.2f}" if row["bound"] is not None else "-",
            f"{gap:.4%}" if gap is not None else "-",
            f"{row['seconds']:.1f}",
        )
    Console().print(table)
    if out is not None:
        out.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@app.command()
def example(
    region: Annotated[str, typer.Option("--region", help="Demo region.")] = "hauts-de-france",
    days: Annotated[int, typer.Option("--days", help="Number of daily periods.")] = 56,
) -> None:
    """Print the demo regional problem as JSON (redirect it to a file)."""
    from rempart.planning.example import regional_example
    from rempart.planning.io import problem_to_dict

    try:
        problem = regional_example(region, n_days=days)
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(json.dumps(problem_to_dict(problem), ensure_ascii=False, indent=1))
