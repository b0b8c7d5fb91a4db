"""Which tables hold GMP records, and how their triggers must behave.

A later app registers its GMP model in one line, `@audited()` on the class; the triggers are
installed after every `migrate` (see `apps.py`) and checked at start-up, before every audited
write and by /health. Every audited table refuses DELETE (records are never deleted,
DOMAIN.md §6 item 12); `append_only=True` refuses UPDATE too (signatures).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=type[models.Model])

AUDIT_TABLE = "audit_entry"


@dataclass(frozen=True, slots=True)
class AuditSpec:
    model: type[models.Model]
    redacted: frozenset[str]
    append_only: bool

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def key_column(self) -> str:
        pk = self.model._meta.pk
        assert pk is not None
        return pk.column

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.column for f in self.model._meta.concrete_fields)


_REGISTRY: dict[str, AuditSpec] = {}


def audited(*, redacted: tuple[str, ...] = (), append_only: bool = False) -> Callable[[M], M]:
    """Class decorator: the model's table is a GMP record captured by database triggers.

    `redacted` names columns whose values never enter the trail (a password hash, a TOTP
    secret): the entry records that the field changed, with '[redacted]' as the values.
    """

    def register(model: M) -> M:
        _REGISTRY[model._meta.label] = AuditSpec(model, frozenset(redacted), append_only)
        return model

    return register


def specs() -> list[AuditSpec]:
    """Registered tables, in a stable order (trigger SQL and checks are deterministic)."""
    return sorted(_REGISTRY.values(), key=lambda s: s.table)


def audited_tables() -> frozenset[str]:
    return frozenset(s.table for s in _REGISTRY.values())
