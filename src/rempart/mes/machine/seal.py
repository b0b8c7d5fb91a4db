"""The journal's seal: each stored page of the line's journal is sealed by one audited
`JournalPage` carrying the SHA-256 of its entries (decision note 0011).

An entry is hashed in the form it is stored in (`entry_text`): line, sequence, kind,
batch id, the timestamp as ISO 8601 UTC with microseconds and `Z`, and data; `data` is
stored as its canonical JSON text too. The page digest is the hex SHA-256 of the RFC 8785
(JCS) canonical JSON array of its entries in sequence order. `canonical` takes a fast path
through `json.dumps` when the output is provably RFC 8785's (integral floats written as
integers; no float whose shortest form differs between Python and ECMAScript, no key
outside ASCII) and falls back to the `rfc8785` library otherwise; tests compare both.

`verify_journal(line_id)` recomputes every page's digest from the stored `MachineEvent` rows
and checks that each stored entry belongs to exactly one page: an entry altered, removed or
added behind the ingester's back is reported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import rfc8785

_dumps = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
).encode


class _NotPlain(Exception):
    """A value json.dumps would not write as RFC 8785 does."""


_quote = json.encoder.encode_basestring
#: 2**53: integers at or beyond it are outside I-JSON (rfc8785 refuses them).
_SAFE = 2**53


def _es_float(value: float) -> float | int:
    if value.is_integer():
        if abs(value) >= _SAFE:  # ECMAScript keeps only the shortest round-trip digits
            raise _NotPlain
        return int(value)  # ECMAScript writes integral numbers without a fraction
    if not 1e-4 <= abs(value) < 1e16:  # exponent forms differ; NaN and inf fail too
        raise _NotPlain
    return value


def _es_numbers(value: Any) -> Any:
    """`value` with integral floats as ints (what ECMAScript prints for them), so that
    json.dumps writes RFC 8785's bytes; raises `_NotPlain` for what needs the full
    serialiser: a float below 1e-4 in magnitude (exponent forms differ), a non-finite float
    or a type JSON has not. (Text outside ASCII is checked on the output: keys sort by
    UTF-16 units in RFC 8785, by code points in Python.)"""
    kind = type(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            t = type(item)
            if t is float:
                item = _es_float(item)
            elif t is dict or t is list or t is tuple:
                item = _es_numbers(item)
            elif t is int:
                if not -_SAFE < item < _SAFE:
                    raise _NotPlain
            elif not (t is str or t is bool or item is None):
                raise _NotPlain
            out[key] = item
        return out
    if kind is list or kind is tuple:
        return [_es_numbers(item) for item in value]
    if kind is float:
        return _es_float(value)
    if kind is int and not -_SAFE < value < _SAFE:
        raise _NotPlain
    if value is None or kind is str or kind is int or kind is bool:
        return value
    raise _NotPlain


def canonical_text(value: Any) -> str:
    """RFC 8785 canonical JSON of `value`, as text."""
    try:
        text = _dumps(_es_numbers(value))
    except (_NotPlain, TypeError, ValueError):
        text = ""
    if text and text.isascii():
        return text
    return bytes(rfc8785.dumps(value)).decode("utf-8")


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON of `value`, as UTF-8 bytes."""
    return canonical_text(value).encode("utf-8")


def entry_text(
    line_id: str,
    sequence: int,
    kind: str,
    batch_number: str | None,
    timestamp: str,
    data_text: str,
) -> str:
    """The canonical JSON of a stored entry, from its canonical data text (RFC 8785 keys in
    order: batch_id, data, kind, line, sequence, timestamp)."""
    return (
        f'{{"batch_id":{_string(batch_number)},"data":{data_text},"kind":{_string(kind)},'
        f'"line":{_string(line_id)},"sequence":{int(sequence)},"timestamp":{_string(timestamp)}}}'
    )


def _string(text: str | None) -> str:
    if text is None:
        return "null"
    if text.isascii():
        return _quote(text)
    return bytes(rfc8785.dumps(text)).decode("utf-8")


def timestamp_text(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def page_digest(texts: Iterable[str]) -> str:
    """Hex SHA-256 of the canonical JSON array of the entries' canonical texts (in sequence
    order): `[e1,e2,...]`."""
    digest = hashlib.sha256(b"[")
    for index, text in enumerate(texts):
        if index:
            digest.update(b",")
        digest.update(text.encode("utf-8"))
    digest.update(b"]")
    return digest.hexdigest()


def ranges_text(sequences: Iterable[int]) -> str:
    """Sorted sequences as compact ranges: `1-500,502,504-1000`."""
    parts: list[str] = []
    start = previous = None
    for s in sorted(sequences):
        if previous is not None and s == previous + 1:
            previous = s
            continue
        if start is not None:
            parts.append(f"{start}" if start == previous else f"{start}-{previous}")
        start = previous = s
    if start is not None:
        parts.append(f"{start}" if start == previous else f"{start}-{previous}")
    return ",".join(parts)


def parse_ranges(text: str) -> Iterator[int]:
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        yield from range(int(first), int(last or first) + 1)


@dataclass
class JournalVerdict:
    line_id: str
    pages: int = 0
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def journal_lines() -> list[str]:
    """Every line that has stored entries or sealed pages."""
    from rempart.mes.machine.models import JournalPage, MachineEvent

    lines = set(MachineEvent.objects.values_list("line_id", flat=True).distinct())
    lines |= set(JournalPage.objects.values_list("line_id", flat=True).distinct())
    return sorted(lines)


def verify_journal(line_id: str) -> JournalVerdict:
    """Recompute every page's digest from the stored entries; report every difference."""
    from rempart.mes.machine.models import JournalPage, MachineEvent

    verdict = JournalVerdict(line_id)
    sealed: set[int] = set()
    for page in JournalPage.objects.filter(line_id=line_id).order_by("first_sequence", "pk"):
        wanted = list(parse_ranges(page.sequences))
        rows = {
            row[0]: row
            for row in MachineEvent.objects.filter(line_id=line_id, sequence__in=wanted)
            .order_by("sequence")
            .values_list("sequence", "kind", "batch_number", "timestamp", "data")
            .iterator(chunk_size=2000)
        }
        verdict.pages += 1
        missing = [s for s in wanted if s not in rows]
        if missing:
            verdict.problems.append(
                f"page {page.pk}: sealed entries missing: {ranges_text(missing)}"
            )
        twice = sealed.intersection(wanted)
        if twice:
            verdict.problems.append(f"page {page.pk}: entries sealed twice: {ranges_text(twice)}")
        sealed.update(wanted)
        digest = page_digest(
            entry_text(line_id, s, kind, batch, timestamp_text(when), canonical_text(data))
            for s, kind, batch, when, data in (rows[s] for s in wanted if s in rows)
        )
        if len(wanted) != page.count or digest != page.sha256:
            verdict.problems.append(
                f"page {page.pk} (sequences {page.first_sequence}-{page.last_sequence}): "
                "stored entries differ from the sealed digest"
            )
        verdict.entries += len(rows)
    unsealed = set(
        MachineEvent.objects.filter(line_id=line_id).values_list("sequence", flat=True)
    ).difference(sealed)
    if unsealed:
        verdict.problems.append(f"entries not sealed by any page: {ranges_text(unsealed)}")
    return verdict
