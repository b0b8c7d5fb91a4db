"""Log-in lockout per user and per address, without locking a shared terminal for everyone.

A user is locked after `USER_LIMIT` failures since their last success within `WINDOW`: only
that user, from any address (a guesser cannot just move to another terminal). An address is
locked after `ADDRESS_LIMIT` failures within `WINDOW` whatever the user names: that stops a
password spray, and the limit is high enough that colleagues mistyping on one cleanroom
terminal do not lock each other out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rempart.mes.accounts.models import LoginFailure

USER_LIMIT = 5
ADDRESS_LIMIT = 25
WINDOW = timedelta(minutes=15)


def lock_reason(username: str, ip: str | None, now: datetime) -> str | None:
    since = now - WINDOW
    name = username.strip().lower()
    if LoginFailure.objects.filter(username=name, at__gte=since).count() >= USER_LIMIT:
        return "too many failed attempts for this user: try again in 15 minutes"
    if ip and LoginFailure.objects.filter(ip=ip, at__gte=since).count() >= ADDRESS_LIMIT:
        return "too many failed attempts from this terminal: try again in 15 minutes"
    return None


def record_failure(username: str, ip: str | None, now: datetime) -> None:
    LoginFailure.objects.create(username=username.strip().lower(), ip=ip or None, at=now)


def record_success(username: str) -> None:
    LoginFailure.objects.filter(username=username.strip().lower()).delete()
