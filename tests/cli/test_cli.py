import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rempart import __version__
from rempart.cli.main import app

runner = CliRunner()


def test_help_lists_the_groups() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for word in ("version", "selfcheck", "demo", "mes"):
        assert word in result.output


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_selfcheck_passes() -> None:
    result = runner.invoke(app, ["selfcheck"])
    assert result.exit_code == 0, result.output
    assert "Self-check passed." in result.output


def test_commands_outside_mes_never_load_django() -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from rempart.cli.main import app\n"
        "groups = [c.name for c in app.registered_groups]\n"
        "calls = [['version'], ['selfcheck'], ['--help']]\n"
        "calls += [[g, '--help'] for g in groups if g != 'mes']\n"
        "for args in calls:\n"
        "    r = CliRunner().invoke(app, args)\n"
        "    assert r.exit_code == 0, (args, r.output)\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded[:5]\n"
        "print('ok', groups)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_mes_serve_refuses_a_port_out_of_range_before_starting() -> None:
    result = runner.invoke(app, ["mes", "serve", "--port", "99999"])
    assert result.exit_code == 2
    assert "--port must be between 1 and 65535" in result.output
    assert "Traceback" not in result.output


def test_mes_ingest_refuses_bad_options_before_connecting() -> None:
    endpoint = "opc.tcp://127.0.0.1:4840/rempart/"
    for args, words in (
        (["--endpoint", "garbage"], "--endpoint must start with opc.tcp://"),
        (["--endpoint", "opc.tcp://127.0.0.1:99999/x"], "Port out of range"),
        (["--endpoint", "opc.tcp://127.0.0.1/x"], "needs a host and a port"),
        (["--endpoint", endpoint, "--line-id", ""], "--line-id must be 1 to 40"),
        (["--endpoint", endpoint, "--retry-s", "nan"], "--retry-s must be more than 0"),
        (["--endpoint", endpoint, "--retry-s", "-1"], "--retry-s must be more than 0"),
    ):
        result = runner.invoke(app, ["mes", "ingest", *args])
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output
        assert "Traceback" not in result.output


def test_an_unreachable_database_is_one_line_not_a_traceback() -> None:
    import os

    env = {**os.environ, "REMPART_DATABASE_URL": "postgresql://u:p@127.0.0.1:1/none"}
    done = subprocess.run(
        [sys.executable, "-m", "rempart", "mes", "serve", "--port", "8019"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("rempart: the database cannot be reached (")
    assert "check REMPART_DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unexpected_error_is_one_line_and_a_report_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import rempart.cli.main as entry

    def broken(**_: object) -> None:
        raise ValueError("boom\nsecond line")

    monkeypatch.setattr(entry, "app", broken)
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("rempart: internal error (ValueError: boom); the details are in ")
    report = Path(err.rsplit(" ", 1)[1].strip())
    assert "Traceback" in report.read_text(encoding="utf-8")
    assert "Traceback" not in err
    report.unlink()
