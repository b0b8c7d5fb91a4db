"""Which tables hold GMP records, and how their triggers must behave.

A later app registers its GMP model in one line, `@audited()` on the class; the triggers are
installed after every `migrate` (see `apps.py`) and checked at start-up, before every audited
write and by /health. Every audited table refuses DELETE (records are never deleted,
DOMAIN.md §6 item 12); `append_only=True` refuses UPDATE too (signatures).

`@guarded()` is for a high-volume append-only table whose rows are sealed another way (the
line's journal, sealed per page by an audited digest: decision note 0011): the database
refuses UPDATE and DELETE on it, but its inserts are not captured field by field.
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


_GUARDED: dict[str, type[models.Model]] = {}


def guarded() -> Callable[[M], M]:
    """Class decorator: the model's table refuses UPDATE and DELETE (append-only), without
    field-by-field capture of its inserts; something audited must seal its rows (0011)."""

    def register(model: M) -> M:
        _GUARDED[model._meta.label] = model
        return model

    return register


def guarded_tables() -> list[str]:
    """Guard-only tables, in a stable order."""
    return sorted(m._meta.db_table for m in _GUARDED.values())


def specs() -> list[AuditSpec]:
    """Registered tables, in a stable order (trigger SQL and checks are deterministic)."""
    return sorted(_REGISTRY.values(), key=lambda s: s.table)


def audited_tables() -> frozenset[str]:
    return frozenset(s.table for s in _REGISTRY.values())
