"""`rempart mes ...`: the MES web application."""

from __future__ import annotations

import os

import typer

app = typer.Typer(no_args_is_help=True)


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rempart.mes.settings")
    import django

    django.setup()


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (for example: rempart mes manage migrate)."""
    _django_setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["rempart mes manage", *ctx.args])


@app.command()
def serve(
    host: str = typer.Option("", help="Address to bind (default: REMPART_WEB_HOST)."),
    port: int = typer.Option(0, help="Port (default: REMPART_WEB_PORT)."),
) -> None:
    """Serve the web application (Django's threaded server; in production use uvicorn)."""
    from rempart.config import load_config

    config = load_config()
    _django_setup()
    from django.core.management import call_command

    call_command(
        "runserver",
        f"{host or config.web_host}:{port or config.web_port}",
        use_reloader=False,
        insecure_serving=True,
    )
