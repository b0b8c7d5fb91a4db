"""Importing BDPM files and reading the catalogue's supply from what was imported.

`import_bdpm_files` reads every file first (the Django-free readers of `rempart.shortage`),
then stores all of them in one transaction: a malformed line under `ErrorPolicy.FAIL` raises
`Refused` naming the file and the line before anything is written. Each import keeps its
rows, so repeated imports accumulate the history of statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.catalog.models import Molecule
from rempart.mes.core.errors import Refused
from rempart.mes.supply.models import BdpmImport, MitmSpecialty, SupplyStatusRecord
from rempart.shortage.bdpm import (
    AvailabilityRecord,
    BdpmFormatError,
    ErrorPolicy,
    FileKind,
    MitmEntry,
    ReadResult,
    SupplyStatus,
    read_bdpm,
    shipped_data_dir,
)
from rempart.shortage.matching import MoleculeSupply, WatchedMolecule, match_catalog

MAX_FILE_BYTES = 20 * 1024 * 1024
BULK = 1000


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    imports: tuple[BdpmImport, ...]
    supply: dict[str, MoleculeSupply]


def read_files(
    files: Sequence[tuple[str, bytes]], on_error: ErrorPolicy
) -> list[ReadResult[object]]:
    """Every file read, or `Refused` naming the first file (and line) at fault."""
    if not files:
        raise Refused("choose at least one BDPM file", field="files")
    results = []
    for name, data in files:
        if len(data) > MAX_FILE_BYTES:
            raise Refused(f"{name}: larger than {MAX_FILE_BYTES // 2**20} MB", field="files")
        try:
            results.append(read_bdpm(data, source=name, on_error=on_error))
        except BdpmFormatError as exc:
            raise Refused(str(exc), field="files") from None
    return results


def import_bdpm_files(
    files: Sequence[tuple[str, bytes]],
    on_error: ErrorPolicy,
    user: User | None,
    channel: str = "page",
) -> ImportOutcome:
    """Store every file in one transaction, then refresh the alerts.

    `user` is None only for the command line and the demo loader (local, trusted callers).
    """
    if user is not None:
        require(user, Action.IMPORT_SUPPLY_DATA)
    results = read_files(files, on_error)
    stored: list[BdpmImport] = []
    with transaction.atomic():
        for result in results:
            record = BdpmImport.objects.create(
                kind=result.kind.value,
                source=result.source[-255:],
                encoding=result.encoding,
                rows=len(result.rows),
                duplicates_dropped=result.duplicates_dropped,
                skipped_lines=[{"line": e.line, "message": e.message} for e in result.errors],
                imported_by=user,
                channel=channel,
            )
            _store_rows(record, result)
            stored.append(record)
    from rempart.mes.supply.alerting import refresh_alerts

    refresh_alerts()
    return ImportOutcome(tuple(stored), current_supply())


def _store_rows(record: BdpmImport, result: ReadResult[object]) -> None:
    if result.kind is FileKind.MITM:
        MitmSpecialty.objects.bulk_create(
            (
                MitmSpecialty(bdpm_import=record, cis=r.cis, atc=r.atc, name=r.name, url=r.url)
                for r in result.rows
                if isinstance(r, MitmEntry)
            ),
            batch_size=BULK,
        )
        return
    SupplyStatusRecord.objects.bulk_create(
        (
            SupplyStatusRecord(
                bdpm_import=record,
                cis=r.cis,
                cip13=r.cip13,
                status=int(r.status),
                label=r.label,
                start_date=r.start_date,
                update_date=r.update_date,
                back_in_supply_date=r.back_in_supply_date,
                url=r.url,
            )
            for r in result.rows
            if isinstance(r, AvailabilityRecord)
        ),
        batch_size=BULK,
    )


def latest_import(kind: FileKind) -> BdpmImport | None:
    return BdpmImport.objects.filter(kind=kind.value).order_by("-imported_at", "-pk").first()


def watched_molecules() -> list[WatchedMolecule]:
    return [WatchedMolecule(m.inn, m.atc, m.cis_list) for m in Molecule.objects.order_by("inn")]


def _entry(s: MitmSpecialty) -> MitmEntry:
    return MitmEntry(s.cis, s.atc, s.name, s.url)


def _record(s: SupplyStatusRecord) -> AvailabilityRecord:
    return AvailabilityRecord(
        cis=s.cis,
        cip13=s.cip13,
        status=SupplyStatus(s.status),
        label=s.label,
        start_date=s.start_date,
        update_date=s.update_date,
        back_in_supply_date=s.back_in_supply_date,
        url=s.url,
    )


def current_supply() -> dict[str, MoleculeSupply]:
    """Each catalogue molecule matched (by ATC and CIS) against the latest import of each kind."""
    molecules = watched_molecules()
    atcs = {m.atc for m in molecules}
    listed_cis = {c for m in molecules for c in m.cis_codes}
    mitm_import = latest_import(FileKind.MITM)
    status_import = latest_import(FileKind.AVAILABILITY)
    mitm = (
        [
            _entry(s)
            for s in MitmSpecialty.objects.filter(
                Q(atc__in=atcs) | Q(cis__in=listed_cis), bdpm_import=mitm_import
            )
        ]
        if mitm_import
        else []
    )
    cis = {e.cis for e in mitm} | listed_cis
    statuses = (
        [
            _record(s)
            for s in SupplyStatusRecord.objects.filter(bdpm_import=status_import, cis__in=cis)
        ]
        if status_import
        else []
    )
    return match_catalog(molecules, mitm, statuses)


def status_history(molecule: Molecule) -> list[SupplyStatusRecord]:
    """Every status row ever imported for the molecule's specialties, newest import first."""
    cis = set(
        MitmSpecialty.objects.filter(atc=molecule.atc).values_list("cis", flat=True).distinct()
    ) | set(molecule.cis_list)
    return list(
        SupplyStatusRecord.objects.filter(cis__in=cis)
        .select_related("bdpm_import")
        .order_by("-bdpm_import__imported_at", "-bdpm_import__pk", "cis", "start_date")
    )


def import_shipped_once(echo: Callable[[str], None]) -> None:
    """The demo: import the shipped 2025-07-07 BDPM files unless some import exists."""
    if BdpmImport.objects.exists():
        echo("shortage watch: BDPM files already imported")
        return
    files = [(p.name, p.read_bytes()) for p in sorted(shipped_data_dir().glob("*.txt"))]
    outcome = import_bdpm_files(files, ErrorPolicy.FAIL, None, channel="demo")
    rows = ", ".join(f"{r.source} {r.rows} rows" for r in outcome.imports)
    echo(f"shortage watch: shipped BDPM files imported ({rows})")
