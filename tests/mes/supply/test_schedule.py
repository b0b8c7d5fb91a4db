"""`rempart shortage check --every`: a periodic check that logs each run and survives a
failed one."""

from __future__ import annotations

import pytest
from django.test import override_settings
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.cli.shortage import parse_every, run_periodically
from rempart.mes.catalog.models import Product
from rempart.mes.supply.models import SupplyAlert

from ..conftest import World


def test_durations() -> None:
    assert parse_every("6h") == 21600
    assert parse_every("30m") == 1800
    assert parse_every("1d") == 86400
    assert parse_every(" 90s ") == 90
    assert parse_every("31d") == 31 * 86400
    for bad, why in (
        ("6 hours", "expected a duration"),
        ("10s", "at least 1 minute"),
        ("32d", "at most 31 days"),
        ("9999999999d", "at most 31 days"),
    ):
        with pytest.raises(ValueError, match=why):
            parse_every(bad)


def test_bad_every_is_refused_before_anything_runs(world: World) -> None:
    result = CliRunner().invoke(app, ["shortage", "check", "--every", "often"])
    assert result.exit_code == 2
    assert "--every: expected a duration like 30m, 6h or 1d, got 'often'" in result.output


def test_every_logs_each_run_and_stops_after_max_runs(world: World, mivacurium: Product) -> None:
    result = CliRunner().invoke(app, ["shortage", "check", "--every", "1m", "--max-runs", "1"])
    assert result.exit_code == 0, result.output
    assert "shortage check every 1m (first run now)" in result.output
    assert "run 1: shortage alerts: 0 raised, 0 cleared, 0 open" in result.output
    assert "shortage check stopped after 1 runs" in result.output


def test_a_failed_run_is_logged_and_the_next_one_runs(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    waits: list[float] = []
    # A real misconfiguration: the cover threshold is not a number, so every run fails.
    with override_settings(SUPPLY_COVER_THRESHOLD_DAYS="sixty"):
        runs = run_periodically(60.0, "1m", max_runs=2, sleep=waits.append)
    assert runs == 2
    assert len(waits) == 1
    assert 59.0 < waits[0] <= 60.0
    err = capsys.readouterr().err
    assert "run 1 FAILED: ValueError" in err
    assert "run 2 FAILED: ValueError" in err
    # once repaired, the same loop raises no error and stores nothing wrong
    assert run_periodically(60.0, "1m", max_runs=1, sleep=waits.append) == 1
    assert not SupplyAlert.objects.exists()
