"""`rempart demo`: the main job. Set up what exists, start the services, run until Ctrl-C.

The steps are chosen by what the installed packages provide, so the demo grows with the
project without a manual step:
1. the domain self-check;
2. migrate the SQLite database and load the demo region (when the MES catalogue exists);
3. start the twin's OPC UA server (when it exists), the machine-event ingester (when it
   exists) and the web server;
4. print the URL and the demo accounts; Ctrl-C stops every process started here.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import urllib.error
import urllib.request

import typer

from rempart.cli.selfcheck import run_selfcheck
from rempart.cli.supervisor import Supervisor, rempart_argv
from rempart.config import load_config


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _has_command(group_module: str, command: str) -> bool:
    """Whether `rempart <group> <command>` exists (a package alone is not enough)."""
    if not _has(group_module):
        return False
    group = importlib.import_module(group_module)
    names = {
        c.name or (c.callback.__name__ if c.callback else "") for c in group.app.registered_commands
    }
    return command in names


def _run_step(title: str, argv: list[str]) -> None:
    typer.echo(f"- {title}")
    result = subprocess.run(argv, check=False)
    if result.returncode != 0:
        typer.echo(f"rempart demo: step failed: {title} (status {result.returncode})", err=True)
        raise typer.Exit(code=result.returncode)


def _answers(url: str) -> bool:
    """One try: does `url` answer with anything but a server error?"""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return bool(response.status < 500)
    except (urllib.error.URLError, OSError):
        return False


def run_demo(*, web_port: int | None, quiet: bool) -> int:
    config = load_config()
    if web_port is not None and not 1 <= web_port <= 65_535:
        typer.echo("rempart demo: --web-port must be between 1 and 65535", err=True)
        return 2
    port = web_port or config.web_port
    typer.echo("rempart demo\n- domain self-check")
    if run_selfcheck(lambda line: typer.echo(f"    {line}")) != 0:
        return 1
    config.data_dir.mkdir(parents=True, exist_ok=True)
    _run_step(
        "migrate the database", rempart_argv("mes", "manage", "migrate", "--noinput", "-v", "0")
    )
    if _has("rempart.mes.catalog"):
        _run_step("load the demo region", rempart_argv("mes", "load-demo"))

    with Supervisor(echo=typer.echo) as supervisor:
        typer.echo("- start services")
        env = dict(os.environ)
        if _has("rempart.opcua.server"):
            supervisor.start(
                "twin OPC UA server",
                rempart_argv("twin", "serve", "--port", str(config.opcua_port), "--speed", "60"),
                env=env,
            )
        if _has("rempart.opcua.client") and _has_command("rempart.cli.mes", "ingest"):
            supervisor.start(
                "machine-event ingester",
                rempart_argv("mes", "ingest", "--endpoint", config.opcua_endpoint),
                env=env,
            )
        supervisor.start("web server", rempart_argv("mes", "serve", "--port", str(port)), env=env)
        url = f"http://{config.web_host}:{port}/"
        started = supervisor.wait_until(lambda: _answers(url + "health"), 60)
        if started == 2:
            typer.echo("rempart demo: the web server did not answer within 60 s", err=True)
        if started != -1:
            return 1 if started else 0
        typer.echo(f"\nrempart is running at {url}  (health: {url}health)")
        if not quiet:
            typer.echo("Press Ctrl-C to stop every process started by the demo.")
        return supervisor.wait()
