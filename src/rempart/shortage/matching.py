"""Match the official files to the molecules of the catalogue, by ATC code and CIS code.

A molecule is matched to every MITM specialty with its ATC code (level 5) and to any CIS
code listed for it in the catalogue; availability statuses join on CIS. A CIS with a status
but absent from the MITM list keeps the name found in its ANSM page address.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rempart.shortage.bdpm import AvailabilityRecord, MitmEntry, SupplyStatus

#: Worst first: what makes a molecule's industry supply most at risk.
STATUS_SEVERITY = {
    SupplyStatus.RUPTURE: 3,
    SupplyStatus.TENSION: 2,
    SupplyStatus.DISCONTINUED: 1,
    SupplyStatus.BACK_IN_SUPPLY: 0,
}


@dataclass(frozen=True, slots=True)
class WatchedMolecule:
    """A catalogue molecule to watch: its INN, level-5 ATC code and known CIS codes."""

    inn: str
    atc: str
    cis_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SpecialtyStatus:
    cis: str
    name: str
    status: SupplyStatus
    start_date: date
    update_date: date
    back_in_supply_date: date | None
    url: str


@dataclass(frozen=True, slots=True)
class MoleculeSupply:
    inn: str
    atc: str
    specialties: tuple[MitmEntry, ...]
    statuses: tuple[SpecialtyStatus, ...]

    @property
    def worst(self) -> SupplyStatus | None:
        if not self.statuses:
            return None
        return max((s.status for s in self.statuses), key=STATUS_SEVERITY.__getitem__)

    @property
    def in_shortage(self) -> tuple[SpecialtyStatus, ...]:
        return tuple(s for s in self.statuses if s.status.is_shortage)


def name_from_url(url: str) -> str:
    """The ANSM page slug is the only place an unlisted product's name appears."""
    slug = url.rstrip("/").rsplit("/", 1)[-1]
    return slug.replace("-", " ").strip() or url


def match_catalog(
    molecules: Iterable[WatchedMolecule],
    mitm: Iterable[MitmEntry],
    availability: Iterable[AvailabilityRecord],
) -> dict[str, MoleculeSupply]:
    """For each watched molecule (by INN): its MITM specialties and their current statuses."""
    by_atc: defaultdict[str, list[MitmEntry]] = defaultdict(list)
    by_cis: dict[str, MitmEntry] = {}
    for entry in mitm:
        by_atc[entry.atc].append(entry)
        by_cis[entry.cis] = entry
    statuses_by_cis: defaultdict[str, list[AvailabilityRecord]] = defaultdict(list)
    for record in availability:
        statuses_by_cis[record.cis].append(record)

    result: dict[str, MoleculeSupply] = {}
    for molecule in molecules:
        specialties = {e.cis: e for e in by_atc.get(molecule.atc, [])}
        cis_codes = set(specialties) | set(molecule.cis_codes)
        for cis in molecule.cis_codes:
            if cis in by_cis:
                specialties.setdefault(cis, by_cis[cis])
        statuses = [
            SpecialtyStatus(
                cis=record.cis,
                name=specialties[record.cis].name
                if record.cis in specialties
                else name_from_url(record.url),
                status=record.status,
                start_date=record.start_date,
                update_date=record.update_date,
                back_in_supply_date=record.back_in_supply_date,
                url=record.url,
            )
            for cis in sorted(cis_codes)
            for record in statuses_by_cis.get(cis, [])
        ]
        result[molecule.inn] = MoleculeSupply(
            inn=molecule.inn,
            atc=molecule.atc,
            specialties=tuple(sorted(specialties.values(), key=lambda e: e.cis)),
            statuses=tuple(statuses),
        )
    return result
