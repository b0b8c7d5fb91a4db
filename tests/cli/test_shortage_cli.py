import json
from pathlib import Path

from typer.testing import CliRunner

from rempart.cli.main import app

runner = CliRunner()


def test_read_shipped_files_as_json() -> None:
    result = runner.invoke(app, ["shortage", "read", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {f["kind"] for f in body["files"]} == {"mitm", "availability"}
    assert body["molecules"]["mivacurium"]["worst_status"] == "Tension d'approvisionnement"


def test_malformed_file_fails_naming_the_line_or_is_skipped(tmp_path: Path) -> None:
    bad = tmp_path / "CIS_MITM.txt"
    bad.write_text("68309829\tM03AB01\tCELOCURINE\thttps://x\nnot-a-cis\tM03AB01\tX\thttps://y\n")
    failed = runner.invoke(app, ["shortage", "read", str(bad)])
    assert failed.exit_code == 2
    assert "line 2" in failed.output
    assert "Traceback" not in failed.output
    skipped = runner.invoke(app, ["shortage", "read", str(bad), "--skip-bad-lines"])
    assert skipped.exit_code == 0
    assert "1 bad lines skipped" in skipped.output
    missing = runner.invoke(app, ["shortage", "read", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2
    assert "cannot read" in missing.output
