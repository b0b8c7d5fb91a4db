"""`rempart audit ...`: check the audit trail's hash chain, the line journal's seals and the
capture triggers."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command()
def verify() -> None:
    """Walk the hash chain and the line journal's page seals; report the first broken
    sequence number and every journal difference, and exit 1 on tampering."""
    from rempart.cli.mes import django_setup

    django_setup()
    from django.db import DatabaseError, connection

    from rempart.mes.audit.chain import verify_database
    from rempart.mes.audit.triggers import problems
    from rempart.mes.machine.seal import JournalVerdict, journal_lines, verify_journal

    try:
        verdict = verify_database()
        journals: list[JournalVerdict] = [verify_journal(line) for line in journal_lines()]
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
    for journal in journals:
        if journal.ok:
            typer.echo(
                f"line journal {journal.line_id} intact: {journal.entries} entries "
                f"in {journal.pages} sealed pages"
            )
        for problem in journal.problems:
            typer.echo(f"line journal {journal.line_id} TAMPERED: {problem}", err=True)
    missing = problems(connection)
    for problem in missing:
        typer.echo(f"capture problem: {problem}", err=True)
    if not verdict.ok or missing or not all(j.ok for j in journals):
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
