"""The audit context: who is writing and why, handed to the database triggers.

`audited_write()` is the only way the service layer writes GMP records. It refuses to start
when capture is not intact (fail closed), opens a transaction and sets the context: on
PostgreSQL as transaction-local settings, on SQLite in a per-connection mapping that the
registered SQL function `rempart_audit_ctx` reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from weakref import WeakKeyDictionary

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from rempart.mes.audit import triggers


class AuditCaptureMissing(RuntimeError):
    """Audit capture is not intact: GMP writes are refused until it is repaired."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: the entry's user id, printed name and role, and the request it came from."""

    user_id: str
    printed_name: str
    role: str
    request_id: str = ""

    @classmethod
    def system(cls, name: str) -> Actor:
        """A program acting on its own behalf (the demo loader), named as such in the trail."""
        return cls(f"system:{name}", name, "system", uuid.uuid4().hex)


#: Per-connection context read by the SQLite functions (the wrapper outlives reconnects).
SQLITE_CONTEXT: WeakKeyDictionary[BaseDatabaseWrapper, dict[str, str]] = WeakKeyDictionary()
_STACKS: WeakKeyDictionary[BaseDatabaseWrapper, list[dict[str, str]]] = WeakKeyDictionary()


def _apply(connection: BaseDatabaseWrapper, values: dict[str, str]) -> None:
    if connection.vendor == "postgresql":
        names = ("user_id", "printed_name", "role", "reason", "request_id")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names),
                [item for name in names for item in (f"rempart.{name}", values.get(name, ""))],
            )
    else:
        SQLITE_CONTEXT[connection] = dict(values)


def require_capture(using: str = "default") -> None:
    """Raise `AuditCaptureMissing` naming what is wrong when capture is not intact."""
    found = triggers.problems(connections[using])
    if found:
        raise AuditCaptureMissing("GMP writes are refused: " + "; ".join(found))


@contextmanager
def audited_write(actor: Actor, *, reason: str = "", using: str = "default") -> Iterator[None]:
    """A transaction whose GMP writes are attributed to `actor`, with `reason` for changes."""
    connection = connections[using]
    require_capture(using)
    values = {**asdict(actor), "reason": reason.strip()}
    stack = _STACKS.setdefault(connection, [])
    stack.append(values)
    try:
        with transaction.atomic(using=using):
            _apply(connection, values)
            yield
    finally:
        stack.pop()
        usable = not connection.in_atomic_block or not connection.needs_rollback
        if connection.vendor == "sqlite" or (connection.in_atomic_block and usable):
            _apply(connection, stack[-1] if stack else {})
