"""Django settings, built from `rempart.config` (the only reader of the environment)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from rempart.config import Environment, load_config

CONFIG = load_config()

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "rempart.mes.core",
    "rempart.mes.audit",
    "rempart.mes.catalog",
    "rempart.mes.accounts",
    "rempart.mes.signatures",
    "rempart.mes.quality",
    "rempart.mes.batches",
    "rempart.mes.machine",
    "rempart.mes.supply",
    "rempart.mes.qc",
    "rempart.mes.release",
    "rempart.mes.records",
    "rempart.mes.labels",
    "rempart.mes.stock",
    "rempart.mes.planboard",
]

AUTH_USER_MODEL = "accounts.User"
# User names are unique case-insensitively (a functional unique constraint on Lower(username)),
# which Django's check does not recognise.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = ["rempart.mes.accounts.backends.LockoutBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"

# Argon2 in every environment but tests, where a cheap hash keeps thousands of log-ins fast.
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if CONFIG.environment is Environment.TEST
    else ["django.contrib.auth.hashers.Argon2PasswordHasher"]
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

#: Inactivity and absolute session limits (enforced by `core.middleware.SessionTimeout`).
SESSION_IDLE_SECONDS = CONFIG.session_idle_minutes * 60
SESSION_COOKIE_AGE = CONFIG.session_max_hours * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "rempart.mes.core.middleware.RequestId",
    "rempart.mes.core.middleware.SecurityHeaders",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rempart.mes.core.middleware.SessionTimeout",
    # After the session and the user (the 400 page shows who is signed in), before any view.
    "rempart.mes.core.middleware.RefuseLargeBodies",
    "rempart.mes.core.middleware.RefuseNul",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "rempart.mes.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "rempart.mes.wsgi.application"
ASGI_APPLICATION = "rempart.mes.asgi.application"


def _test_database_file() -> Path:
    return Path(tempfile.gettempdir()) / f"rempart-test-{os.getpid()}.sqlite3"


def _database() -> dict[str, Any]:
    db = CONFIG.database
    if db.engine == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": db.name,
            # WAL and synchronous=FULL: nothing acknowledged is lost on a crash.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                " PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
                "transaction_mode": "IMMEDIATE",
            },
            # Tests on SQLite use a file too, not Django's shared-cache in-memory database:
            # there a second writer (the live server's threads, a background planning run)
            # fails at once with "database table is locked" instead of waiting its turn.
            "TEST": {"NAME": str(_test_database_file())},
        }
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": db.name,
        "USER": db.user,
        "PASSWORD": db.password,
        "HOST": db.host,
        "PORT": str(db.port or 5432),
        "CONN_MAX_AGE": 0,
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = CONFIG.language
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = CONFIG.data_dir / "static"

EMAIL_BACKEND = CONFIG.email_backend
#: The shortage watch (`rempart.mes.supply`): regional cover threshold and alert recipients.
SUPPLY_COVER_THRESHOLD_DAYS = CONFIG.cover_threshold_days
REMPART_MIN_RESIDUAL_SHELF_LIFE_DAYS = CONFIG.min_residual_shelf_life_days
#: The largest request body accepted (uploads included): core.middleware.RefuseLargeBodies.
REMPART_MAX_REQUEST_BYTES = 32 * 1024 * 1024
REMPART_NEAR_EXPIRY_DAYS = CONFIG.near_expiry_days
SUPPLY_ALERT_EMAILS = list(CONFIG.alert_emails)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SECURE = CONFIG.environment is Environment.PRODUCTION
CSRF_COOKIE_SECURE = CONFIG.environment is Environment.PRODUCTION
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if CONFIG.environment is Environment.PRODUCTION:
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
