"""What a column cannot hold is refused before the database sees it, the same on every backend.

SQLite ignores a `CharField`'s `max_length` and stores NUL characters; PostgreSQL refuses both
with a database error, which reached API clients as an error 500 (a batch number longer than
its lot's 20-character column failed only at the batch's end). Every `save()` of a rempart
model (`objects.create` included) first checks its text columns here and raises `Refused`
naming the field, inside the caller's transaction, so nothing is written. Bulk writes and
`update()` bypass signals: the services check those inputs themselves.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from rempart.mes.core.errors import Refused


def refuse_what_columns_cannot_hold(
    sender: type[models.Model], instance: models.Model, raw: bool = False, **_: Any
) -> None:
    if raw or not sender.__module__.startswith("rempart."):
        return  # fixtures are loaded as they are; Django's own models keep their own rules
    for field in sender._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            raise Refused("must not contain NUL characters", field=field.name)
        limit = field.max_length if isinstance(field, models.CharField) else None
        if limit is not None and len(value) > limit:
            raise Refused(f"at most {limit} characters, got {len(value)}", field=field.name)
