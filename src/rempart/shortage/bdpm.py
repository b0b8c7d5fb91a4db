"""Readers for the official BDPM files: the MITM list and the ANSM availability statuses.

Both are tab separated with no header, officially Windows-1252 (UTF-8 copies circulate too),
CRLF line endings. A malformed line is reported with its line number; the caller chooses to
skip such lines or to fail the whole read (`ErrorPolicy`). A read either returns every good
row or raises: nothing is ever half-read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")

CIS_RE = re.compile(r"^\d{8}$")
CIP13_RE = re.compile(r"^\d{13}$")
#: ATC codes at any level: M, M03, M03A, M03AC, M03AC09 (the MITM list has levels 3-5).
ATC_RE = re.compile(r"^[A-Z](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?$")
DATE_RE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
#: The longest name, label and URL stored (the MES columns' lengths): a longer one is a
#: malformed line, like a NUL character in any column.
MAX_NAME = 500
MAX_LABEL = 100
MAX_URL = 500


class ErrorPolicy(StrEnum):
    SKIP = "skip"
    FAIL = "fail"


class FileKind(StrEnum):
    MITM = "mitm"
    AVAILABILITY = "availability"


class SupplyStatus(IntEnum):
    """ANSM status codes of `CIS_CIP_Dispo_Spec.txt`."""

    RUPTURE = 1
    TENSION = 2
    DISCONTINUED = 3
    BACK_IN_SUPPLY = 4

    @property
    def label_fr(self) -> str:
        return STATUS_LABELS_FR[self]

    @property
    def is_shortage(self) -> bool:
        return self in (SupplyStatus.RUPTURE, SupplyStatus.TENSION)


STATUS_LABELS_FR = {
    SupplyStatus.RUPTURE: "Rupture de stock",
    SupplyStatus.TENSION: "Tension d'approvisionnement",
    SupplyStatus.DISCONTINUED: "Arrêt de commercialisation",
    SupplyStatus.BACK_IN_SUPPLY: "Remise à disposition",
}


class BdpmFormatError(ValueError):
    """A file could not be read; `line` is 1-based when one line is at fault."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.message = message
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class MitmEntry:
    cis: str
    atc: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class AvailabilityRecord:
    cis: str
    cip13: str
    status: SupplyStatus
    label: str
    start_date: date
    update_date: date
    back_in_supply_date: date | None
    url: str

    @property
    def announced(self) -> bool:
        """An update dated before its start: an announced future event (140 rows in 2025)."""
        return self.update_date < self.start_date


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class ReadResult(Generic[T]):
    kind: FileKind
    source: str
    encoding: str
    rows: tuple[T, ...]
    errors: tuple[LineError, ...]
    duplicates_dropped: int


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM) when valid, else Windows-1252."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict"), "windows-1252"


def _lines(text: str) -> Iterable[tuple[int, str]]:
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if line.strip():
            yield number, line


def _parse_date(value: str, field: str) -> date:
    match = DATE_RE.match(value.strip())
    if not match:
        raise ValueError(f"{field}: expected dd/mm/yyyy, got {value!r}")
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{field}: not a calendar date: {value!r}") from None


def _text(value: str, field: str, limit: int) -> str:
    if len(value) > limit:
        raise ValueError(f"{field}: at most {limit} characters, got {len(value)}")
    return value


def _parse_mitm(cols: list[str]) -> MitmEntry:
    if len(cols) != 4:
        raise ValueError(f"expected 4 tab-separated columns, found {len(cols)}")
    cis, atc, name, url = (c.strip() for c in cols)
    if not CIS_RE.match(cis):
        raise ValueError(f"CIS: expected 8 digits, got {cis!r}")
    if not ATC_RE.match(atc):
        raise ValueError(f"ATC: not an ATC code: {atc!r}")
    if not name:
        raise ValueError("name: empty")
    return MitmEntry(cis, atc, _text(name, "name", MAX_NAME), _text(url, "URL", MAX_URL))


def _parse_availability(cols: list[str]) -> AvailabilityRecord:
    if len(cols) != 8:
        raise ValueError(f"expected 8 tab-separated columns, found {len(cols)}")
    cis, cip13, code, label, start, update, back, url = (c.strip() for c in cols)
    if not CIS_RE.match(cis):
        raise ValueError(f"CIS: expected 8 digits, got {cis!r}")
    if cip13 and not CIP13_RE.match(cip13):
        raise ValueError(f"CIP13: expected 13 digits or empty, got {cip13!r}")
    try:
        status = SupplyStatus(int(code))
    except ValueError:
        raise ValueError(f"status code: expected 1, 2, 3 or 4, got {code!r}") from None
    back_date = _parse_date(back, "back-in-supply date") if back else None
    if back_date is not None and status is not SupplyStatus.BACK_IN_SUPPLY:
        raise ValueError(f"back-in-supply date set for status {int(status)} ({label})")
    return AvailabilityRecord(
        cis=cis,
        cip13=cip13,
        status=status,
        label=_text(label, "label", MAX_LABEL) or status.label_fr,
        start_date=_parse_date(start, "start date"),
        update_date=_parse_date(update, "update date"),
        back_in_supply_date=back_date,
        url=_text(url, "URL", MAX_URL),
    )


PARSERS: dict[FileKind, Callable[[list[str]], object]] = {
    FileKind.MITM: _parse_mitm,
    FileKind.AVAILABILITY: _parse_availability,
}


def detect_kind(text: str, source: str = "<data>") -> FileKind:
    """Recognise a file by the column count of its first non-empty line."""
    for _, line in _lines(text):
        count = len(line.split("\t"))
        if count == 4:
            return FileKind.MITM
        if count == 8:
            return FileKind.AVAILABILITY
        raise BdpmFormatError(
            source,
            f"not a BDPM MITM (4 columns) or availability (8 columns) file: {count} columns",
            line=1,
        )
    raise BdpmFormatError(source, "the file is empty")


def read_bdpm(
    data: bytes,
    *,
    source: str = "<data>",
    kind: FileKind | None = None,
    on_error: ErrorPolicy = ErrorPolicy.FAIL,
) -> ReadResult[object]:
    """Parse one BDPM file. Exact duplicate lines are dropped and counted.

    With `ErrorPolicy.FAIL` the first malformed line raises `BdpmFormatError` naming it;
    with `SKIP` malformed lines are left out and listed in `errors`.
    """
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError as exc:
        raise BdpmFormatError(source, f"neither UTF-8 nor Windows-1252: {exc.reason}") from None
    kind = kind or detect_kind(text, source)
    parse = PARSERS[kind]
    rows: list[object] = []
    errors: list[LineError] = []
    seen: set[str] = set()
    duplicates = 0
    for number, line in _lines(text):
        if line in seen:
            duplicates += 1
            continue
        seen.add(line)
        try:
            if "\x00" in line:
                raise ValueError("a NUL character (the file is not BDPM text)")
            rows.append(parse(line.split("\t")))
        except ValueError as exc:
            if on_error is ErrorPolicy.FAIL:
                raise BdpmFormatError(source, str(exc), line=number) from None
            errors.append(LineError(number, str(exc)))
    return ReadResult(kind, source, encoding, tuple(rows), tuple(errors), duplicates)


def read_mitm(path: Path, *, on_error: ErrorPolicy = ErrorPolicy.FAIL) -> ReadResult[MitmEntry]:
    result = read_bdpm(path.read_bytes(), source=str(path), kind=FileKind.MITM, on_error=on_error)
    return result  # type: ignore[return-value]


def read_availability(
    path: Path, *, on_error: ErrorPolicy = ErrorPolicy.FAIL
) -> ReadResult[AvailabilityRecord]:
    result = read_bdpm(
        path.read_bytes(), source=str(path), kind=FileKind.AVAILABILITY, on_error=on_error
    )
    return result  # type: ignore[return-value]


def shipped_data_dir() -> Path:
    """The BDPM files shipped with rempart (2025-07-07), for the demo and the tests."""
    return Path(__file__).resolve().parent / "data" / "bdpm-2025-07-07"
