"""Configuration: the only module that reads the environment.

Every setting has a strict parser. A bad value stops start-up with a `ConfigError` that names
the variable and says what is wrong; nothing falls back silently to a default. The defaults
are those of the embedded demo (SQLite file, twin on 127.0.0.1:4840, web on 127.0.0.1:8000).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

T = TypeVar("T")

DEV_SECRET_KEY = "rempart-development-key-not-for-production-use-0123456789abcdef"  # noqa: S105


class ConfigError(Exception):
    """A configuration value is invalid. `variable` names the environment variable."""

    def __init__(self, variable: str, message: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {message}")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    engine: str  # "sqlite" or "postgresql"
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: int | None = None


@dataclass(frozen=True, slots=True)
class Config:
    environment: Environment
    debug: bool
    secret_key: str
    database: DatabaseConfig
    data_dir: Path
    allowed_hosts: tuple[str, ...]
    time_zone: str
    language: str
    opcua_endpoint: str
    line_id: str
    web_host: str
    web_port: int
    opcua_port: int
    benchdata_dir: Path
    email_backend: str
    release_requires_independent_releaser: bool
    conditional_release: bool
    session_idle_minutes: int = 15
    session_max_hours: int = 12
    cover_threshold_days: int = 60
    alert_emails: tuple[str, ...] = ()
    min_residual_shelf_life_days: int = 30
    near_expiry_days: int = 60


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true/false (or 1/0, yes/no, on/off), got {raw!r}")


def parse_port(raw: str) -> int:
    try:
        port = int(raw.strip())
    except ValueError:
        raise ValueError(f"expected a TCP port number, got {raw!r}") from None
    if not 1 <= port <= 65535:
        raise ValueError(f"a TCP port is between 1 and 65535, got {port}")
    return port


def parse_database_url(raw: str) -> DatabaseConfig:
    """`sqlite:///relative/or//absolute/path` or `postgresql://user:pw@host:port/name`."""
    raw = raw.strip()
    parts = urlsplit(raw)
    if parts.scheme == "sqlite":
        if parts.netloc:
            raise ValueError("a SQLite URL has no host: use sqlite:///path/to/file.sqlite3")
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ValueError("a SQLite URL needs a file path: sqlite:///path/to/file.sqlite3")
        return DatabaseConfig(engine="sqlite", name=path)
    if parts.scheme in {"postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not parts.hostname:
            raise ValueError("a PostgreSQL URL needs a host: postgresql://user@host:5432/name")
        if not name:
            raise ValueError("a PostgreSQL URL needs a database name after the host")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("the port in the PostgreSQL URL is not a number") from None
        return DatabaseConfig(
            engine="postgresql",
            name=name,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname,
            port=port,
        )
    raise ValueError(f"expected sqlite:///path or postgresql://user@host:port/name, got {raw!r}")


def parse_time_zone(raw: str) -> str:
    try:
        ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {raw!r} (use an IANA name like Europe/Paris)"
        ) from None
    return raw.strip()


def parse_opcua_endpoint(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme != "opc.tcp" or not parts.hostname:
        raise ValueError(f"expected opc.tcp://host:port, got {raw!r}")
    return raw.strip()


def parse_language(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"fr", "en"}:
        raise ValueError(f"supported languages are fr and en, got {raw!r}")
    return value


def parse_hosts(raw: str) -> tuple[str, ...]:
    hosts = tuple(h.strip() for h in raw.split(",") if h.strip())
    if not hosts:
        raise ValueError("at least one host name is needed")
    return hosts


def parse_bounded_int(low: int, high: int) -> Callable[[str], int]:
    """A whole number within [low, high]."""

    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"expected a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value

    return parse


def parse_identifier(raw: str) -> str:
    value = raw.strip()
    if not value or not all(c.isalnum() or c in "-_" for c in value):
        raise ValueError(f"letters, digits, '-' and '_' only, got {raw!r}")
    return value


EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def parse_emails(raw: str) -> tuple[str, ...]:
    """Comma-separated e-mail addresses; empty for none."""
    addresses = tuple(a.strip() for a in raw.split(",") if a.strip())
    for address in addresses:
        if not EMAIL_RE.match(address):
            raise ValueError(f"not an e-mail address: {address!r} (separate addresses by commas)")
    return addresses


def _get(env: Mapping[str, str], name: str, default: str, parser: Callable[[str], T]) -> T:
    raw = env.get(name)
    if raw is None:
        raw = default
    try:
        return parser(raw)
    except ValueError as exc:
        raise ConfigError(name, str(exc)) from None


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Read and check every setting; raise `ConfigError` naming the first bad variable."""
    env = os.environ if environ is None else environ
    environment = _get(env, "REMPART_ENV", "development", lambda s: Environment(s.strip()))
    data_dir = _get(env, "REMPART_DATA_DIR", "var", lambda s: Path(s.strip()))
    database = _get(
        env,
        "REMPART_DATABASE_URL",
        f"sqlite:///{data_dir / 'rempart.sqlite3'}",
        parse_database_url,
    )
    secret_key = env.get("REMPART_SECRET_KEY", "")
    if environment is Environment.PRODUCTION:
        if len(secret_key) < 50:
            raise ConfigError(
                "REMPART_SECRET_KEY", "production needs a random secret of 50 characters or more"
            )
    elif not secret_key:
        secret_key = DEV_SECRET_KEY
    debug = _get(env, "REMPART_DEBUG", "false", parse_bool)
    if debug and environment is Environment.PRODUCTION:
        raise ConfigError("REMPART_DEBUG", "debug mode is refused in production")
    web_port = _get(env, "REMPART_WEB_PORT", "8000", parse_port)
    opcua_port = _get(env, "REMPART_OPCUA_PORT", "4840", parse_port)
    return Config(
        environment=environment,
        debug=debug,
        secret_key=secret_key,
        database=database,
        data_dir=data_dir,
        allowed_hosts=_get(env, "REMPART_ALLOWED_HOSTS", "127.0.0.1,localhost", parse_hosts),
        time_zone=_get(env, "REMPART_TIME_ZONE", "Europe/Paris", parse_time_zone),
        language=_get(env, "REMPART_LANGUAGE", "fr", parse_language),
        opcua_endpoint=_get(
            env, "REMPART_OPCUA_ENDPOINT", f"opc.tcp://127.0.0.1:{opcua_port}", parse_opcua_endpoint
        ),
        line_id=_get(env, "REMPART_LINE_ID", "line-1", parse_identifier),
        web_host=_get(env, "REMPART_WEB_HOST", "127.0.0.1", lambda s: parse_hosts(s)[0]),
        web_port=web_port,
        opcua_port=opcua_port,
        benchdata_dir=_get(
            env, "REMPART_BENCHDATA", "../shared/benchdata", lambda s: Path(s.strip())
        ),
        email_backend=_get(
            env,
            "REMPART_EMAIL_BACKEND",
            "django.core.mail.backends.console.EmailBackend",
            lambda s: s.strip() or "django.core.mail.backends.console.EmailBackend",
        ),
        release_requires_independent_releaser=_get(
            env, "REMPART_RELEASE_INDEPENDENT_RELEASER", "true", parse_bool
        ),
        conditional_release=_get(env, "REMPART_CONDITIONAL_RELEASE", "false", parse_bool),
        session_idle_minutes=_get(
            env, "REMPART_SESSION_IDLE_MINUTES", "15", parse_bounded_int(1, 240)
        ),
        session_max_hours=_get(env, "REMPART_SESSION_MAX_HOURS", "12", parse_bounded_int(1, 24)),
        cover_threshold_days=_get(
            env, "REMPART_COVER_THRESHOLD_DAYS", "60", parse_bounded_int(1, 365)
        ),
        alert_emails=_get(env, "REMPART_ALERT_EMAILS", "", parse_emails),
        min_residual_shelf_life_days=_get(
            env, "REMPART_MIN_RESIDUAL_SHELF_LIFE_DAYS", "30", parse_bounded_int(0, 365)
        ),
        near_expiry_days=_get(env, "REMPART_NEAR_EXPIRY_DAYS", "60", parse_bounded_int(1, 730)),
    )
