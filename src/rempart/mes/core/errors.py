"""Errors the services raise; pages and the API turn each into a clear message and status."""

from __future__ import annotations


class Refused(Exception):
    """A request the rules refuse; `field` names the input at fault, when there is one."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class NotPermitted(Refused):
    """The person's role or scope does not allow this."""

    status = 403


class NotFound(Refused):
    status = 404


class Conflict(Refused):
    """The record is not in a state that allows this (a frozen version, a stale form)."""

    status = 409
