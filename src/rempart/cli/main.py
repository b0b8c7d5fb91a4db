"""Entry point of the `rempart` console script.

Sub-command groups live in their own modules (`rempart.cli.twin`, `rempart.cli.plan`, ...),
each exposing a `typer.Typer` named `app`. Those modules import only typer at load time and
import their engines inside each command, so `rempart plan ...` never loads Django.
"""

from __future__ import annotations

import importlib
import importlib.util
import tempfile
import traceback
from pathlib import Path

import typer

from rempart import __version__
from rempart.cli.database import database_problem, first_line, is_unreachable
from rempart.config import ConfigError, load_config

#: (module under rempart.cli, command name, one-line help)
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("twin", "twin", "The filling line's digital twin: run, Monte Carlo, serve over OPC UA."),
    ("plan", "plan", "Production planning with HiGHS: solve, benchmark, example problems."),
    ("mes", "mes", "The MES web application: database, demo data, server, ingestion."),
    ("audit", "audit", "The audit trail: verify the hash chain."),
    ("shortage", "shortage", "Shortage watch: import BDPM/ANSM files, coverage, alerts."),
    ("scenario", "scenario", "Crisis scenarios replayed through planning and the line."),
)

app = typer.Typer(
    name="rempart",
    help="rempart: in-house production of sterile injectables on a closed-vial aseptic line.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _startup() -> None:
    """Check the configuration before any command runs: a bad value stops here."""
    try:
        load_config()
    except ConfigError as exc:
        typer.echo(f"rempart: configuration error: {exc}", err=True)
        raise typer.Exit(code=2) from None


@app.command()
def version() -> None:
    """Print the rempart version."""
    typer.echo(f"rempart {__version__}")


@app.command()
def selfcheck() -> None:
    """Exercise the domain rules on the demo catalogue and print what they decide."""
    from rempart.cli.selfcheck import run_selfcheck

    raise typer.Exit(code=run_selfcheck(typer.echo))


@app.command()
def demo(
    web_port: int = typer.Option(0, help="Web port (0: from configuration, default 8000)."),
    no_browser_hint: bool = typer.Option(False, help="Do not print the browser hint."),
) -> None:
    """The main job: set up everything that exists and run it until Ctrl-C."""
    from rempart.cli.demo import run_demo

    raise typer.Exit(code=run_demo(web_port=web_port or None, quiet=no_browser_hint))


def _register_groups() -> None:
    for module_name, command, help_text in GROUPS:
        qualified = f"rempart.cli.{module_name}"
        if importlib.util.find_spec(qualified) is None:
            continue
        module = importlib.import_module(qualified)
        app.add_typer(module.app, name=command, help=help_text)


_register_groups()


def _crash_report(exc: BaseException) -> Path | None:
    """Write the traceback to a file for a bug report; the user sees one line."""
    try:
        with tempfile.NamedTemporaryFile(
            "w", prefix="rempart-crash-", suffix=".txt", delete=False, encoding="utf-8"
        ) as report:
            traceback.print_exception(exc, file=report)
        return Path(report.name)
    except OSError:
        return None


def main() -> None:
    """The console script: every command, and one line (never a traceback) when one fails."""
    try:
        app(prog_name="rempart")
    except Exception as exc:  # what no command caught: say it in one line
        if is_unreachable(exc):
            typer.echo(f"rempart: {database_problem(exc)}", err=True)
            raise SystemExit(2) from None
        report = _crash_report(exc)
        where = f"; the details are in {report}" if report else ""
        typer.echo(
            f"rempart: internal error ({type(exc).__name__}: {first_line(exc)}){where}", err=True
        )
        raise SystemExit(1) from None


if __name__ == "__main__":  # pragma: no cover
    main()
