"""The readers on the real BDPM files shipped with rempart, and on malformed ones."""

from datetime import date
from pathlib import Path

import pytest

from rempart.domain.catalog import MOLECULES
from rempart.shortage.bdpm import (
    AvailabilityRecord,
    BdpmFormatError,
    ErrorPolicy,
    FileKind,
    SupplyStatus,
    read_availability,
    read_bdpm,
    read_mitm,
    shipped_data_dir,
)
from rempart.shortage.matching import match_catalog
from rempart.shortage.watch import watched

DATA = shipped_data_dir()
CURARE_ATC = {"M03AB01", "M03AC04", "M03AC09", "M03AC10", "M03AC11"}


def test_mitm_file() -> None:
    result = read_mitm(DATA / "CIS_MITM.txt")
    assert result.kind is FileKind.MITM
    assert len(result.rows) == 8_107
    assert result.errors == ()
    assert {r.atc for r in result.rows} >= CURARE_ATC


def test_availability_file() -> None:
    result = read_availability(DATA / "CIS_CIP_Dispo_Spec.txt")
    assert result.duplicates_dropped == 12
    assert len(result.rows) + result.duplicates_dropped == 957
    counts = {s: sum(1 for r in result.rows if r.status is s) for s in SupplyStatus}
    # SOURCE.md counts raw rows (597 tension); the 12 exact duplicates are all "tension".
    assert counts == {
        SupplyStatus.RUPTURE: 78,
        SupplyStatus.TENSION: 585,
        SupplyStatus.DISCONTINUED: 48,
        SupplyStatus.BACK_IN_SUPPLY: 234,
    }
    assert sum(1 for r in result.rows if r.announced) > 100
    assert all(
        r.back_in_supply_date for r in result.rows if r.status is SupplyStatus.BACK_IN_SUPPLY
    )


def test_the_curares_are_found() -> None:
    mitm = read_mitm(DATA / "CIS_MITM.txt").rows
    dispo = read_availability(DATA / "CIS_CIP_Dispo_Spec.txt").rows
    supply = match_catalog(watched(MOLECULES.values()), mitm, dispo)
    for inn in ("atracurium", "cisatracurium", "rocuronium", "suxamethonium", "mivacurium"):
        assert supply[inn].specialties, inn
    assert supply["mivacurium"].worst is SupplyStatus.TENSION
    assert {s.start_date for s in supply["mivacurium"].in_shortage} == {date(2024, 11, 19)}
    atracurium = supply["atracurium"]
    assert atracurium.worst is SupplyStatus.BACK_IN_SUPPLY
    assert any(
        "Pfizer" in s.name and s.back_in_supply_date == date(2025, 5, 23)
        for s in atracurium.statuses
    )


def test_windows_1252_is_read() -> None:
    line = "68309829\tM03AB01\tCÉLOCURINE 50 mg/ml, solution injectable\thttps://x\r\n"
    result = read_bdpm(line.encode("cp1252"))
    assert result.encoding == "windows-1252"
    assert result.rows[0].name.startswith("CÉLOCURINE")  # type: ignore[attr-defined]
    assert read_bdpm(b"\xef\xbb\xbf" + line.encode()).encoding == "utf-8"


GOOD = (
    "60929148\t\t2\tTension d'approvisionnement\t12/05/2025\t04/07/2025\t\thttps://a/sugammadex\r\n"
)


@pytest.mark.parametrize(
    ("bad_line", "words"),
    [
        ("6092914\t\t2\tTension\t12/05/2025\t04/07/2025\t\thttps://a", "CIS"),
        ("60929148\t123\t2\tTension\t12/05/2025\t04/07/2025\t\thttps://a", "CIP13"),
        ("60929148\t\t7\tTension\t12/05/2025\t04/07/2025\t\thttps://a", "status code"),
        ("60929148\t\t2\tTension\t31/02/2025\t04/07/2025\t\thttps://a", "start date"),
        ("60929148\t\t2\tTension\t12/05/2025\t2025-07-04\t\thttps://a", "update date"),
        ("60929148\t\t2\tTension\t12/05/2025\t04/07/2025\t01/06/2025\thttps://a", "back-in-supply"),
        ("60929148\t\t2\tTension\t12/05/2025\t04/07/2025", "8 tab-separated columns"),
        # Longer than its column (PostgreSQL refused the bulk insert: error 500), or a NUL.
        (
            "60929148\t\t2\t" + "T" * 101 + "\t12/05/2025\t04/07/2025\t\thttps://a",
            "label: at most 100",
        ),
        (
            "60929148\t\t2\tTension\t12/05/2025\t04/07/2025\t\thttps://" + "a" * 500,
            "URL: at most 500",
        ),
        ("60929148\t\t2\tTen\x00sion\t12/05/2025\t04/07/2025\t\thttps://a", "NUL character"),
    ],
)
def test_malformed_line_named_by_number(bad_line: str, words: str) -> None:
    data = (GOOD + bad_line + "\r\n" + GOOD.replace("60929148", "60822363")).encode()
    with pytest.raises(BdpmFormatError) as err:
        read_bdpm(data, source="dispo.txt")
    assert err.value.line == 2
    assert words in str(err.value)
    assert str(err.value).startswith("dispo.txt, line 2: ")
    skipped = read_bdpm(data, source="dispo.txt", on_error=ErrorPolicy.SKIP)
    assert [e.line for e in skipped.errors] == [2]
    assert [r.cis for r in skipped.rows if isinstance(r, AvailabilityRecord)] == [
        "60929148",
        "60822363",
    ]


def test_a_mitm_name_or_url_longer_than_its_column_is_a_malformed_line() -> None:
    good = "68309829\tM03AB01\tCELOCURINE\thttps://x\n"
    for bad, words in (
        ("68309829\tM03AB01\t" + "N" * 501 + "\thttps://x\n", "name: at most 500"),
        ("68309829\tM03AB01\tCELOCURINE\thttps://" + "x" * 500 + "\n", "URL: at most 500"),
    ):
        with pytest.raises(BdpmFormatError, match=words) as err:
            read_bdpm((good + bad).encode(), source="mitm.txt")
        assert err.value.line == 2


def test_unrecognised_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(BdpmFormatError, match="3 columns"):
        read_bdpm(b"a\tb\tc\n")
    with pytest.raises(BdpmFormatError, match="empty"):
        read_bdpm(b"\r\n\r\n")
    with pytest.raises(BdpmFormatError, match="ATC"):
        read_bdpm(b"68309829\tm03ab01\tX\thttps://x\n")
