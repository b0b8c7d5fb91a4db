"""What a column cannot hold is refused before the database sees it, the same on every backend.

SQLite ignores a `CharField`'s `max_length`, stores NUL characters, 64-bit integers in any
integer column and any number in a `DecimalField`; PostgreSQL refuses all of these with a
database error, which reached API clients as an error 500 (a batch number longer than
its lot's 20-character column failed only at the batch's end). Every `save()` of a rempart
model (`objects.create` included) first checks its text, integer and decimal columns here
and raises `Refused` naming the field, inside the caller's transaction, so nothing is
written. Bulk writes and `update()` bypass signals: the services check those inputs
themselves.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

from rempart.mes.core.errors import Refused

#: Integer columns hold what PostgreSQL's types hold (SQLite stores 64 bits in any of them,
#: and Python's larger ints not at all), e.g. 0 to 2,147,483,647 for a PositiveIntegerField.
INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges


def _check_number(field: models.Field[Any, Any], value: object) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        bounds = INTEGER_RANGES.get(field.get_internal_type())
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            raise Refused(f"must be from {bounds[0]:,} to {bounds[1]:,}", field=field.name)
    elif isinstance(value, Decimal) and isinstance(field, models.DecimalField):
        if not value.is_finite():
            raise Refused("must be a finite number", field=field.name)
        # More decimals than the column keeps are rounded by Django on both databases; more
        # whole digits overflow PostgreSQL's numeric(max_digits, decimal_places).
        places = field.decimal_places or 0
        whole = (field.max_digits or 0) - places
        if abs(round(value, places)) >= Decimal(10) ** whole:
            raise Refused(f"at most {whole} digits before the decimal point", field=field.name)


def _check_text(column: models.Field[Any, Any], value: str, field: str) -> None:
    if "\x00" in value:
        raise Refused("must not contain NUL characters", field=field)
    limit = column.max_length if isinstance(column, models.CharField) else None
    if limit is not None and len(value) > limit:
        raise Refused(f"at most {limit} characters, got {len(value)}", field=field)


def refuse_what_columns_cannot_hold(
    sender: type[models.Model], instance: models.Model, raw: bool = False, **_: Any
) -> None:
    if raw or not sender.__module__.startswith("rempart."):
        return  # fixtures are loaded as they are; Django's own models keep their own rules
    for field in sender._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        if not isinstance(value, str):
            _check_number(field, value)
            continue
        _check_text(field, value, field.name)


def fitting(model: type[models.Model], column: str, value: str, *, field: str) -> str:
    """`value` when `model.column` can hold it, else `Refused` naming `field`.

    For the writes that bypass `save()` (`update()`), which the signal does not see.
    """
    definition = model._meta.get_field(column)
    if isinstance(definition, models.Field):
        _check_text(definition, value, field)
    return value
