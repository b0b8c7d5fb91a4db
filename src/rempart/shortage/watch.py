"""The watch over the demo catalogue: read files, match molecules, summarise statuses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rempart.domain.products import Molecule
from rempart.shortage.bdpm import (
    AvailabilityRecord,
    FileKind,
    MitmEntry,
    ReadResult,
)
from rempart.shortage.matching import MoleculeSupply, WatchedMolecule, match_catalog


def watched(molecules: Iterable[Molecule]) -> list[WatchedMolecule]:
    return [WatchedMolecule(m.inn, m.atc, m.cis_codes) for m in molecules]


@dataclass(frozen=True, slots=True)
class WatchSummary:
    files: tuple[ReadResult[object], ...]
    status_counts: dict[str, int]
    molecules: dict[str, MoleculeSupply] = field(default_factory=dict)


def summarise(results: Sequence[ReadResult[object]], molecules: Iterable[Molecule]) -> WatchSummary:
    mitm = [r for res in results if res.kind is FileKind.MITM for r in res.rows]
    availability = [r for res in results if res.kind is FileKind.AVAILABILITY for r in res.rows]
    counts = Counter(r.status.label_fr for r in availability if isinstance(r, AvailabilityRecord))
    supply = match_catalog(
        watched(molecules),
        [r for r in mitm if isinstance(r, MitmEntry)],
        [r for r in availability if isinstance(r, AvailabilityRecord)],
    )
    return WatchSummary(tuple(results), dict(counts), supply)
