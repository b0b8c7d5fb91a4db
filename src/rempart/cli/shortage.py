"""`rempart shortage ...`: the shortage watch over the official BDPM/ANSM files."""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from rempart.cli.database import database_problem

app = typer.Typer(no_args_is_help=True)


@app.command("read")
def read_files(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="BDPM files (CIS_MITM.txt, CIS_CIP_Dispo_Spec.txt); default: shipped"),
    ] = None,
    skip_bad_lines: Annotated[
        bool, typer.Option("--skip-bad-lines", help="Skip malformed lines instead of failing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Read BDPM files (Windows-1252 or UTF-8) and show the catalogue's supply statuses."""
    from rempart.domain.catalog import MOLECULES
    from rempart.shortage.bdpm import BdpmFormatError, ErrorPolicy, read_bdpm, shipped_data_dir
    from rempart.shortage.watch import summarise

    paths = files or sorted(shipped_data_dir().glob("*.txt"))
    policy = ErrorPolicy.SKIP if skip_bad_lines else ErrorPolicy.FAIL
    results = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            typer.echo(f"rempart shortage: cannot read {path}: {exc.strerror}", err=True)
            raise typer.Exit(2) from None
        try:
            results.append(read_bdpm(data, source=str(path), on_error=policy))
        except BdpmFormatError as exc:
            typer.echo(f"rempart shortage: {exc}", err=True)
            raise typer.Exit(2) from None
    summary = summarise(results, MOLECULES.values())
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "files": [
                        {
                            "source": r.source,
                            "kind": r.kind,
                            "encoding": r.encoding,
                            "rows": len(r.rows),
                            "duplicates_dropped": r.duplicates_dropped,
                            "errors": [{"line": e.line, "message": e.message} for e in r.errors],
                        }
                        for r in results
                    ],
                    "status_counts": summary.status_counts,
                    "molecules": {
                        inn: {
                            "atc": s.atc,
                            "specialties": len(s.specialties),
                            "worst_status": s.worst.label_fr if s.worst else None,
                            "statuses": [
                                {
                                    "cis": x.cis,
                                    "name": x.name,
                                    "status": x.status.label_fr,
                                    "since": x.start_date.isoformat(),
                                }
                                for x in s.statuses
                            ],
                        }
                        for inn, s in summary.molecules.items()
                    },
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for r in results:
        typer.echo(
            f"{r.source}: {r.kind}, {r.encoding}, {len(r.rows)} rows, "
            f"{r.duplicates_dropped} duplicates dropped, {len(r.errors)} bad lines skipped"
        )
        for err in r.errors[:20]:
            typer.echo(f"  line {err.line}: {err.message}")
    for label, count in sorted(summary.status_counts.items()):
        typer.echo(f"  {label}: {count}")
    typer.echo("Catalogue molecules:")
    for inn, s in summary.molecules.items():
        worst = s.worst.label_fr if s.worst else "no status reported"
        typer.echo(f"  {inn:<16} {s.atc}  {len(s.specialties):>2} MITM specialties  {worst}")
        for x in s.in_shortage:
            typer.echo(f"      {x.status.label_fr} since {x.start_date:%d/%m/%Y}: {x.name}")


@app.command("import")
def import_files(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="BDPM files to store in the MES; default: the shipped 2025-07-07 files"
        ),
    ] = None,
    skip_bad_lines: Annotated[
        bool,
        typer.Option("--skip-bad-lines", help="Store the good lines and list the bad ones."),
    ] = False,
) -> None:
    """Store BDPM files in the MES (one transaction, history kept) and refresh the alerts."""
    from rempart.cli.mes import django_setup
    from rempart.shortage.bdpm import ErrorPolicy, shipped_data_dir

    paths = files or sorted(shipped_data_dir().glob("*.txt"))
    contents: list[tuple[str, bytes]] = []
    for path in paths:
        try:
            contents.append((str(path), path.read_bytes()))
        except OSError as exc:
            typer.echo(f"rempart shortage: cannot read {path}: {exc.strerror}", err=True)
            raise typer.Exit(2) from None
    django_setup()
    from django.db import DatabaseError

    from rempart.mes.core.errors import Refused
    from rempart.mes.supply.services import import_bdpm_files

    policy = ErrorPolicy.SKIP if skip_bad_lines else ErrorPolicy.FAIL
    try:
        outcome = import_bdpm_files(contents, policy, None, channel="cli")
    except Refused as exc:
        typer.echo(f"rempart shortage: nothing imported: {exc.message}", err=True)
        raise typer.Exit(2) from None
    except DatabaseError as exc:
        typer.echo(f"rempart shortage: {database_problem(exc)}", err=True)
        raise typer.Exit(1) from None
    for record in outcome.imports:
        typer.echo(
            f"{record.source}: {record.kind}, {record.encoding}, {record.rows} rows stored, "
            f"{record.duplicates_dropped} duplicates dropped, "
            f"{len(record.skipped_lines)} bad lines skipped"
        )
        for err in record.skipped_lines[:20]:
            typer.echo(f"  line {err['line']}: {err['message']}")
    from rempart.mes.supply.alerting import open_alerts

    alerts = open_alerts()
    typer.echo(f"open shortage alerts: {len(alerts)}")
    for alert in alerts:
        typer.echo(f"  {alert.product.code}: {alert.message}")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MAX_EVERY_S = 31 * 86400


def parse_every(raw: str) -> float:
    """`30m`, `6h`, `1d`, `90s` as seconds; one minute to 31 days. ValueError naming the input."""
    match = _DURATION.match(raw.lower())
    if match is None:
        raise ValueError(f"--every: expected a duration like 30m, 6h or 1d, got {raw!r}")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < 60:
        raise ValueError(f"--every: at least 1 minute between checks, got {raw!r}")
    if seconds > _MAX_EVERY_S:
        # A watch checked less than monthly is no watch; much longer waits overflow the clock.
        raise ValueError(f"--every: at most 31 days between checks, got {raw!r}")
    return seconds


def _log(line: str, *, err: bool = False) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    typer.echo(f"{stamp} {line}", err=err)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _check_once() -> tuple[bool, str, list[str]]:
    """One check: (succeeded, summary line, open alert lines). Never raises."""
    from django.db import DatabaseError, close_old_connections, connection

    from rempart.mes.supply.alerting import refresh_alerts

    def recycle() -> None:
        # A long-lived loop drops a broken or old connection so the next run reconnects
        # (never inside a transaction: that is a caller's, e.g. a test's, connection).
        if not connection.in_atomic_block:
            close_old_connections()

    recycle()
    try:
        refresh = refresh_alerts()
    except DatabaseError as exc:
        recycle()
        return False, database_problem(exc), []
    except Exception as exc:  # a periodic watcher must survive any one failed run
        recycle()
        return False, f"{type(exc).__name__}: {exc}", []
    summary = (
        f"shortage alerts: {len(refresh.raised)} raised, {len(refresh.cleared)} cleared, "
        f"{len(refresh.open)} open"
        + (f"; e-mailed to {', '.join(refresh.emailed_to)}" if refresh.emailed_to else "")
    )
    return True, summary, [f"  {a.product.code}: {a.message}" for a in refresh.open]


def run_periodically(
    interval_s: float,
    label: str,
    max_runs: int = 0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Check, then wait out the interval, again and again (`max_runs` 0: forever). A failed
    run is logged with its reason and the next one runs on time. Returns the runs made."""
    runs = 0
    while True:
        started = time.monotonic()
        ok, summary, lines = _check_once()
        runs += 1
        if ok:
            _log(f"run {runs}: {summary}")
            for line in lines:
                typer.echo(line)
        else:
            _log(f"run {runs} FAILED: {summary}; next run in {label}", err=True)
        if max_runs and runs >= max_runs:
            return runs
        sleep(max(0.0, interval_s - (time.monotonic() - started)))


@app.command("check")
def check_alerts(
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            help="Run the check again and again, this long apart (30m, 6h, 1d); a failed run "
            "is logged and the next one runs on time. Stop with Ctrl-C or SIGTERM.",
        ),
    ] = None,
    max_runs: Annotated[
        int, typer.Option("--max-runs", help="With --every: stop after this many runs (0: never).")
    ] = 0,
) -> None:
    """Recompute the shortage alerts now (cover falls day by day: run it daily or use --every)."""
    try:
        interval = parse_every(every) if every is not None else None
    except ValueError as exc:
        typer.echo(f"rempart shortage: {exc}", err=True)
        raise typer.Exit(2) from None
    if max_runs < 0:
        typer.echo("rempart shortage: --max-runs must not be negative", err=True)
        raise typer.Exit(2)
    from rempart.cli.mes import django_setup

    django_setup()
    if interval is None:
        ok, summary, lines = _check_once()
        if not ok:
            typer.echo(f"rempart shortage: {summary}", err=True)
            raise typer.Exit(1)
        typer.echo(summary)
        for line in lines:
            typer.echo(line)
        return
    _log(f"shortage check every {every} (first run now)")
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        runs = run_periodically(interval, every or "", max_runs)
    except KeyboardInterrupt:
        _log("shortage check stopped")
        return
    finally:
        signal.signal(signal.SIGTERM, previous)
    _log(f"shortage check stopped after {runs} runs")
