"""Configuration: strict parsers, and a bad value stops start-up naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rempart.config import ConfigError, Environment, load_config

BAD_VALUES = [
    ("REMPART_DATABASE_URL", "nonsense"),
    ("REMPART_DATABASE_URL", "postgresql:///nohost"),
    ("REMPART_DATABASE_URL", "postgresql://localhost"),
    ("REMPART_DATABASE_URL", "sqlite://host/file"),
    ("REMPART_DEBUG", "perhaps"),
    ("REMPART_WEB_PORT", "99999"),
    ("REMPART_OPCUA_PORT", "four"),
    ("REMPART_TIME_ZONE", "Mars/Olympus"),
    ("REMPART_LANGUAGE", "de"),
    ("REMPART_ENV", "staging"),
    ("REMPART_OPCUA_ENDPOINT", "http://127.0.0.1:4840"),
    ("REMPART_LINE_ID", "line 1"),
    ("REMPART_ALLOWED_HOSTS", " , "),
]


def test_defaults() -> None:
    config = load_config({})
    assert config.environment is Environment.DEVELOPMENT
    assert config.database.engine == "sqlite"
    assert config.database.name == str(Path("var") / "rempart.sqlite3")
    assert config.time_zone == "Europe/Paris"
    assert config.language == "fr"
    assert config.opcua_endpoint == "opc.tcp://127.0.0.1:4840"
    assert config.conditional_release is False


def test_postgresql_url() -> None:
    db = load_config(
        {"REMPART_DATABASE_URL": "postgresql://u:p%40ss@127.0.0.1:54329/rempart"}
    ).database
    assert (db.engine, db.user, db.password, db.host, db.port, db.name) == (
        "postgresql",
        "u",
        "p@ss",
        "127.0.0.1",
        54329,
        "rempart",
    )


@pytest.mark.parametrize(("variable", "value"), BAD_VALUES)
def test_bad_value_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config({variable: value})
    assert err.value.variable == variable
    assert str(err.value).startswith(f"{variable}: ")


def test_production_needs_a_secret_and_no_debug() -> None:
    with pytest.raises(ConfigError, match="REMPART_SECRET_KEY"):
        load_config({"REMPART_ENV": "production"})
    with pytest.raises(ConfigError, match="REMPART_DEBUG"):
        load_config(
            {"REMPART_ENV": "production", "REMPART_SECRET_KEY": "x" * 60, "REMPART_DEBUG": "1"}
        )


def _run(args: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **extra}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, check=False)


def test_cli_start_up_stops_on_bad_database_url() -> None:
    result = _run([sys.executable, "-m", "rempart", "version"], REMPART_DATABASE_URL="nonsense")
    assert result.returncode == 2
    assert "REMPART_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_django_start_up_stops_on_bad_database_url() -> None:
    result = _run(
        [sys.executable, "-m", "rempart", "mes", "manage", "check"],
        REMPART_DATABASE_URL="nonsense",
    )
    assert result.returncode == 2
    assert "REMPART_DATABASE_URL" in result.stderr


def test_session_timeouts_are_bounded_whole_numbers() -> None:
    config = load_config({"REMPART_SESSION_IDLE_MINUTES": "30", "REMPART_SESSION_MAX_HOURS": "8"})
    assert (config.session_idle_minutes, config.session_max_hours) == (30, 8)
    with pytest.raises(ConfigError, match="REMPART_SESSION_IDLE_MINUTES"):
        load_config({"REMPART_SESSION_IDLE_MINUTES": "0"})
    with pytest.raises(ConfigError, match="REMPART_SESSION_MAX_HOURS"):
        load_config({"REMPART_SESSION_MAX_HOURS": "twelve"})


def test_shortage_watch_threshold_and_alert_recipients() -> None:
    config = load_config({})
    assert (config.cover_threshold_days, config.alert_emails) == (60, ())
    config = load_config(
        {
            "REMPART_COVER_THRESHOLD_DAYS": "45",
            "REMPART_ALERT_EMAILS": "pui@chu-lille.fr, garde@ch-roubaix.fr",
        }
    )
    assert config.cover_threshold_days == 45
    assert config.alert_emails == ("pui@chu-lille.fr", "garde@ch-roubaix.fr")
    with pytest.raises(ConfigError, match="REMPART_COVER_THRESHOLD_DAYS"):
        load_config({"REMPART_COVER_THRESHOLD_DAYS": "0"})
    with pytest.raises(ConfigError, match=r"REMPART_ALERT_EMAILS.*'pui chu-lille'"):
        load_config({"REMPART_ALERT_EMAILS": "pui chu-lille"})
