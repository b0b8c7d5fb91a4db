"""The hash chain: how an entry's hash is computed, and how the chain is verified.

hash = hex SHA-256 of the RFC 8785 (JCS) canonical JSON of the entry's fields below,
`prev_hash` included. Values are only strings, integers or null, so the PostgreSQL trigger,
which builds the same text with `to_json()`, produces byte-identical input (tests prove it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import rfc8785
from django.db import connections

#: The hashed fields, in RFC 8785 key order (plain ASCII, so sorted() is that order).
HASHED_FIELDS: tuple[str, ...] = tuple(
    sorted(
        (
            "seq",
            "recorded_at",
            "user_id",
            "printed_name",
            "role",
            "action",
            "entity",
            "entity_key",
            "field",
            "old_value",
            "new_value",
            "reason",
            "request_id",
            "prev_hash",
        )
    )
)

Value = str | int | None


def canonical(entry: Mapping[str, Value]) -> bytes:
    return bytes(rfc8785.dumps({name: entry[name] for name in HASHED_FIELDS}))


def entry_hash(entry: Mapping[str, Value]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


@dataclass(frozen=True, slots=True)
class Verdict:
    checked: int
    first_broken_seq: int | None
    problem: str
    head_hash: str | None

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


def verify_rows(rows: Iterable[Mapping[str, Value]]) -> Verdict:
    """Walk the entries in `seq` order; stop at the first one that breaks the chain."""
    expected_seq = 1
    prev_hash: str | None = None
    checked = 0
    for row in rows:
        seq = row["seq"]
        if seq != expected_seq:
            return Verdict(
                checked, expected_seq, f"entry {expected_seq} is missing (next is {seq})", prev_hash
            )
        if row["prev_hash"] != prev_hash:
            return Verdict(
                checked,
                expected_seq,
                f"entry {seq} does not link to entry {expected_seq - 1}",
                prev_hash,
            )
        stored = row["hash"]
        if entry_hash(row) != stored:
            return Verdict(checked, expected_seq, f"entry {seq} was altered", prev_hash)
        prev_hash = str(stored)
        checked += 1
        expected_seq += 1
    return Verdict(checked, None, "", prev_hash)


def _database_rows(using: str) -> Iterable[dict[str, Value]]:
    columns = (*HASHED_FIELDS, "hash")
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM audit_entry ORDER BY seq")  # noqa: S608
        while batch := cursor.fetchmany(2000):
            for values in batch:
                yield dict(zip(columns, values, strict=True))


def verify_database(using: str = "default") -> Verdict:
    return verify_rows(_database_rows(using))
