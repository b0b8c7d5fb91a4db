"""`rempart audit ...`: check the audit trail's hash chain and its capture triggers."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command()
def verify() -> None:
    """Walk the hash chain; report the first broken sequence number and exit 1 on tampering."""
    from rempart.cli.mes import django_setup

    django_setup()
    from django.db import DatabaseError, connection

    from rempart.mes.audit.chain import verify_database
    from rempart.mes.audit.triggers import problems

    try:
        verdict = verify_database()
    except DatabaseError as exc:
        typer.echo(f"rempart: cannot read the audit trail ({exc}); migrate first?", err=True)
        raise typer.Exit(code=2) from None
    if verdict.ok:
        typer.echo(f"audit chain intact: {verdict.checked} entries; head hash {verdict.head_hash}")
    else:
        typer.echo(
            f"audit chain BROKEN at sequence {verdict.first_broken_seq}: {verdict.problem} "
            f"({verdict.checked} entries verified before it)",
            err=True,
        )
    missing = problems(connection)
    for problem in missing:
        typer.echo(f"capture problem: {problem}", err=True)
    if not verdict.ok or missing:
        raise typer.Exit(code=1)


@app.command()
def triggers() -> None:
    """List the capture and guard triggers the records need, and any that is missing."""
    from rempart.cli.mes import django_setup

    django_setup()
    from django.db import connection

    from rempart.mes.audit.triggers import expected, problems

    typer.echo(f"{len(expected(connection.vendor))} triggers required on {connection.vendor}")
    found = problems(connection)
    for problem in found:
        typer.echo(f"capture problem: {problem}", err=True)
    if found:
        raise typer.Exit(code=1)
    typer.echo("all capture and guard triggers are installed")
