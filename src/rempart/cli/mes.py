"""`rempart mes ...`: the MES web application."""

from __future__ import annotations

import os

import typer

from rempart.cli.database import database_problem

app = typer.Typer(no_args_is_help=True)


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rempart.mes.settings")
    import django

    django.setup()


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (for example: rempart mes manage migrate)."""
    django_setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["rempart mes manage", *ctx.args])


@app.command()
def serve(
    host: str = typer.Option("", help="Address to bind (default: REMPART_WEB_HOST)."),
    port: int = typer.Option(0, help="Port (default: REMPART_WEB_PORT)."),
) -> None:
    """Serve the web application (Django's threaded server; in production use uvicorn)."""
    from rempart.config import load_config

    if not 0 <= port <= 65_535:
        typer.echo("rempart: --port must be between 1 and 65535 (0: REMPART_WEB_PORT)", err=True)
        raise typer.Exit(code=2)

    config = load_config()
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    from rempart.mes.audit.triggers import problems

    # Fail closed: the server starts (so /health can say 503) but every GMP write is refused.
    for problem in problems(connection):
        typer.echo(f"rempart: AUDIT CAPTURE BROKEN, GMP writes refused: {problem}", err=True)
    call_command(
        "runserver",
        f"{host or config.web_host}:{port or config.web_port}",
        use_reloader=False,
        insecure_serving=True,
    )


@app.command("load-demo")
def load_demo() -> None:
    """Load the demo region, products, users, approved master records, line state, QC
    specifications, forecasts and stock (idempotent)."""
    from rempart.config import Environment, load_config

    if load_config().environment is Environment.PRODUCTION:
        typer.echo(
            "rempart: the demo accounts have public passwords: refused in production", err=True
        )
        raise typer.Exit(code=2)
    django_setup()
    from django.db import DatabaseError

    from rempart.mes.catalog.demo import credentials_text
    from rempart.mes.core.errors import Refused
    from rempart.mes.demo import load_everything as load

    try:
        load(typer.echo)
    except Refused as exc:
        typer.echo(f"rempart: demo data refused: {exc}", err=True)
        raise typer.Exit(code=1) from None
    except DatabaseError as exc:
        typer.echo(f"rempart: {database_problem(exc)}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(credentials_text())


@app.command("expire-lots")
def expire_lots() -> None:
    """Move every lot past its expiry date to expired (run it daily; stock reads do it too)."""
    django_setup()
    from django.db import DatabaseError
    from django.utils import timezone

    from rempart.mes.stock.lots import expire_lots as expire

    try:
        expired = expire(timezone.localdate())
    except DatabaseError as exc:
        typer.echo(f"rempart: {database_problem(exc)}", err=True)
        raise typer.Exit(code=1) from None
    if not expired:
        typer.echo("no lot has passed its expiry date")
    for lot in expired:
        typer.echo(f"expired: lot {lot}")


@app.command()
def totp(username: str) -> None:
    """Print a user's current TOTP code (development and test only)."""
    from rempart.config import Environment, load_config

    if load_config().environment is Environment.PRODUCTION:
        typer.echo("rempart: showing a second factor is refused in production", err=True)
        raise typer.Exit(code=2)
    django_setup()
    import pyotp

    from rempart.mes.accounts.models import User

    user = User.objects.filter(username__iexact=username).first()
    if user is None or not user.totp_secret:
        typer.echo(f"rempart: no user {username!r} with a second factor", err=True)
        raise typer.Exit(code=1)
    typer.echo(pyotp.TOTP(user.totp_secret).now())


def _ingest_option_problem(endpoint: str, line_id: str, retry_s: float) -> str | None:
    """What is wrong with `rempart mes ingest`'s options, or None."""
    import math
    from urllib.parse import urlsplit

    if not endpoint.startswith("opc.tcp://"):
        return f"--endpoint must start with opc.tcp:// (got {endpoint!r})"
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as exc:
        return f"--endpoint: {exc} (got {endpoint!r})"
    if not parts.hostname or port is None:
        return f"--endpoint needs a host and a port, opc.tcp://HOST:PORT/... (got {endpoint!r})"
    if not line_id.strip() or len(line_id) > 40 or line_id != line_id.strip():
        return f"--line-id must be 1 to 40 characters without surrounding spaces (got {line_id!r})"
    if not (math.isfinite(retry_s) and 0 < retry_s <= 3600):
        return f"--retry-s must be more than 0 and at most 3600 seconds (got {retry_s})"
    return None


@app.command()
def ingest(
    endpoint: str = typer.Option(..., help="The line's OPC UA endpoint, opc.tcp://HOST:PORT/..."),
    line_id: str = typer.Option("LINE-1", help="The line id of the journal's entries."),
    retry_s: float = typer.Option(5.0, help="Wait after a database error before resuming."),
) -> None:
    """Follow the line's journal into the batch record until SIGINT or SIGTERM.

    Resumes from the last stored sequence, stores each entry once, records unreadable
    ranges as data gaps, and keeps retrying (bounded back-off) while the line is unreachable.
    """
    problem = _ingest_option_problem(endpoint, line_id, retry_s)
    if problem is not None:
        typer.echo(f"rempart: {problem}", err=True)
        raise typer.Exit(code=2)
    django_setup()
    import asyncio
    import signal

    from rempart.mes.machine.services import DatabaseSink
    from rempart.opcua.client import JournalFollower

    def say(message: str) -> None:
        typer.echo(f"rempart ingest {line_id}: {message}", err=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        sink = DatabaseSink(line_id)
        try:
            while not stop.is_set():
                try:
                    await JournalFollower(endpoint, sink, on_event=say).run(stop)
                except Exception as exc:  # a supervisor: report, wait, resume
                    say(f"ingestion failed ({exc.__class__.__name__}: {exc}); retrying")
                    try:
                        await asyncio.wait_for(stop.wait(), retry_s)
                    except TimeoutError:
                        continue
        finally:
            sink.close()

    say(f"following {endpoint}")
    asyncio.run(main())
    say("stopped")
