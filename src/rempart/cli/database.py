"""One line for a database error met by a command: unreachable, or not migrated yet."""

from __future__ import annotations

import sys


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0]


def is_unreachable(exc: BaseException) -> bool:
    """Django's OperationalError: connection refused, bad credentials, file not openable."""
    if "django.db" not in sys.modules:
        return False
    from django.db import OperationalError

    return isinstance(exc, OperationalError)


def database_problem(exc: BaseException) -> str:
    """What to tell the user about a `DatabaseError`, and what to do about it."""
    if is_unreachable(exc) and "no such table" not in str(exc):
        return (
            f"the database cannot be reached ({first_line(exc)}); check REMPART_DATABASE_URL "
            "and that the database server is running"
        )
    return f"database not ready ({first_line(exc)}): run rempart mes manage migrate"
