"""Importing BDPM files into the MES: the real files, history, malformed files, the CLI."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.mes.catalog.models import Product
from rempart.mes.core.errors import NotPermitted, Refused
from rempart.mes.supply.models import BdpmImport, MitmSpecialty, SupplyStatusRecord
from rempart.mes.supply.services import (
    current_supply,
    import_bdpm_files,
    import_shipped_once,
    status_history,
)
from rempart.shortage.bdpm import ErrorPolicy, SupplyStatus

from ..conftest import World
from .conftest import availability_back_in_supply, shipped, shipped_files

GOOD = (
    "60000001\t\t1\tRupture de stock (à suivre)\t01/06/2025\t02/06/2025\t\thttps://ansm.example/a\n"
    "60000002\t\t2\tTension d'approvisionnement\t01/06/2025\t02/06/2025\t\thttps://ansm.example/b\n"
)
BAD_LINE_3 = GOOD + "60000003\t\t9\tInconnu\t01/06/2025\t02/06/2025\t\thttps://ansm.example/c\n"


def test_the_shipped_files_are_stored_with_their_counts(world: World, mivacurium: Product) -> None:
    outcome = import_bdpm_files(shipped_files(), ErrorPolicy.FAIL, world.users["pharmacist"])
    mitm, availability = outcome.imports
    assert (mitm.kind, mitm.rows, mitm.duplicates_dropped) == ("mitm", 8107, 0)
    assert (availability.kind, availability.rows, availability.duplicates_dropped) == (
        "availability",
        945,
        12,
    )
    assert mitm.imported_by == world.users["pharmacist"]
    assert mitm.imported_at is not None
    assert MitmSpecialty.objects.count() == 8107
    assert SupplyStatusRecord.objects.count() == 945
    assert outcome.supply["mivacurium"].worst is SupplyStatus.TENSION
    assert len(outcome.supply["mivacurium"].in_shortage) == 2
    assert len(outcome.supply["rocuronium"].specialties) == 7
    assert outcome.supply["rocuronium"].worst is None


def test_history_accumulates_over_imports(world: World, mivacurium: Product) -> None:
    user = world.users["qa"]
    import_bdpm_files(shipped_files(), ErrorPolicy.FAIL, user)
    later = [("CIS_CIP_Dispo_Spec.txt", availability_back_in_supply())]
    import_bdpm_files(later, ErrorPolicy.FAIL, user)
    assert BdpmImport.objects.filter(kind="availability").count() == 2
    assert SupplyStatusRecord.objects.count() == 945 * 2
    history = status_history(mivacurium.molecule)
    assert len(history) == 4
    assert [r.status for r in history] == [4, 4, 2, 2]  # newest import first
    assert current_supply()["mivacurium"].worst is SupplyStatus.BACK_IN_SUPPLY


def test_a_malformed_line_with_fail_stores_nothing(world: World) -> None:
    files = [("CIS_MITM.txt", shipped("CIS_MITM.txt")), ("bad.txt", BAD_LINE_3.encode())]
    with pytest.raises(Refused) as refused:
        import_bdpm_files(files, ErrorPolicy.FAIL, world.users["pharmacist"])
    assert "bad.txt, line 3: status code" in refused.value.message
    assert not BdpmImport.objects.exists()
    assert not MitmSpecialty.objects.exists()


def test_a_malformed_line_with_skip_stores_the_rest(world: World) -> None:
    outcome = import_bdpm_files(
        [("bad.txt", BAD_LINE_3.encode("cp1252"))], ErrorPolicy.SKIP, world.users["pharmacist"]
    )
    (record,) = outcome.imports
    assert (record.rows, record.encoding) == (2, "windows-1252")
    assert record.skipped_lines == [
        {"line": 3, "message": "status code: expected 1, 2, 3 or 4, got '9'"}
    ]
    assert SupplyStatusRecord.objects.filter(bdpm_import=record).count() == 2


def test_not_a_bdpm_file_is_refused_by_name(world: World) -> None:
    with pytest.raises(Refused, match=r"notes\.txt, line 1: not a BDPM"):
        import_bdpm_files([("notes.txt", b"a;b;c\n")], ErrorPolicy.SKIP, None)
    with pytest.raises(Refused, match="choose at least one"):
        import_bdpm_files([], ErrorPolicy.SKIP, None)


def test_only_pharmacists_and_qa_reviewers_may_import(world: World) -> None:
    for name in ("technician", "qc", "orderer_a", "admin"):
        with pytest.raises(NotPermitted):
            import_bdpm_files([("a.txt", GOOD.encode())], ErrorPolicy.FAIL, world.users[name])
    assert not BdpmImport.objects.exists()


def test_demo_imports_the_shipped_files_once(world: World) -> None:
    lines: list[str] = []
    import_shipped_once(lines.append)
    import_shipped_once(lines.append)
    assert BdpmImport.objects.count() == 2
    assert "already imported" in lines[1]


runner = CliRunner()


def test_cli_import(world: World, mivacurium: Product, tmp_path: object) -> None:
    result = runner.invoke(app, ["shortage", "import"])
    assert result.exit_code == 0, result.output
    assert "8107 rows stored" in result.output
    assert "945 rows stored, 12 duplicates dropped" in result.output
    assert "MIVA-2-5: mivacurium: tension" in result.output
    assert BdpmImport.objects.filter(channel="cli").count() == 2


def test_cli_import_bad_file(world: World, tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    bad = Path(str(tmp_path)) / "bad.txt"
    bad.write_bytes(BAD_LINE_3.encode())
    result = runner.invoke(app, ["shortage", "import", str(bad)])
    assert result.exit_code == 2
    assert "nothing imported" in result.output
    assert "line 3" in result.output
    assert not BdpmImport.objects.exists()
    result = runner.invoke(app, ["shortage", "import", "--skip-bad-lines", str(bad)])
    assert result.exit_code == 0, result.output
    assert "2 rows stored" in result.output
    assert "line 3: status code" in result.output
