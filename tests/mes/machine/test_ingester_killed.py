"""Fault test: the ingester PROCESS (`rempart mes ingest`) is killed with SIGKILL while the
batch fills, then started again. Nothing is lost, nothing is duplicated: the journal's
sequences are all stored once, every vial has its record, the page seals verify.

The subprocess and the test share a database: on SQLite a file made for the test (the test
run's own database is in memory), on PostgreSQL the test run's database (a transactional
test, so the subprocess sees it and the test sees what the subprocess commits). The state of
the database is read by a small checking subprocess with the same settings, so both
backends are checked the same way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.mes.batches.conftest import ServedTwin, serve_twin

pytestmark = pytest.mark.usefixtures("sqlite_flush_guard")

QUANTITY = 40
CHECK = """
import json
import django
django.setup()
from rempart.mes.machine.models import JournalPage, MachineEvent, Reconciliation, VialRecord
from rempart.mes.machine.seal import verify_journal
verdict = verify_journal("LINE-1")
print(json.dumps({
    "sequences": list(MachineEvent.objects.order_by("sequence").values_list("sequence", flat=True)),
    "vials": sorted(VialRecord.objects.filter(batch_number="KILL-001").values_list(
        "vial_sequence", flat=True)),
    "pages": JournalPage.objects.count(),
    "reconciled": list(Reconciliation.objects.filter(batch_number="KILL-001").values_list(
        "balanced", flat=True)),
    "seal_ok": verdict.ok,
    "problems": verdict.problems,
}))
"""


def _database_url(tmp_path: Path) -> str:
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        return (
            f"postgresql://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
        )
    return f"sqlite:///{tmp_path / 'ingest.sqlite3'}"


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "REMPART_DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "rempart.mes.settings",
    }


def _state(env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _ingester(endpoint: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "rempart", "mes", "ingest", "--endpoint", endpoint],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _load_and_start(twin: ServedTwin) -> None:
    import asyncio

    from rempart.opcua.client import LineClient

    async def go() -> None:
        async with LineClient(twin.endpoint) as line:
            await line.load_batch("KILL-001", "CISA-2-10", "V10", QUANTITY)
            await line.command("Start")

    asyncio.run(go())


def test_killing_the_ingester_mid_batch_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    url = _database_url(tmp_path)
    env = _env(url)
    if connection.vendor == "sqlite":
        subprocess.run(
            [sys.executable, "-m", "rempart", "mes", "manage", "migrate", "--verbosity", "0"],
            env=env,
            check=True,
            timeout=300,
        )
    log = tmp_path / "ingest.log"
    for twin in serve_twin():
        _load_and_start(twin)
        twin.advance(4200 + 12 * 6)  # the batch is filling: about a dozen vials
        first = _ingester(twin.endpoint, env, log)
        try:
            _wait_for(lambda: len(_state(env)["vials"]) > 0, "the first vials")
            twin.advance(6 * 6)  # more vials while the ingester is busy
            time.sleep(0.5)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(30)
        assert first.returncode == -signal.SIGKILL
        killed_at = _state(env)
        assert len(killed_at["vials"]) < QUANTITY
        twin.advance(QUANTITY * 6 + 1800)  # the line goes on and completes the batch
        last = twin.server.line.journal.last_sequence
        second = _ingester(twin.endpoint, env, log)
        try:
            _wait_for(lambda: _state(env)["sequences"][-1:] == [last], "the whole journal")  # noqa: B023
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
        state = _state(env)
        assert state["sequences"] == list(range(1, last + 1)), log.read_text()[-2000:]
        assert state["vials"] == list(range(1, QUANTITY + 1))
        assert state["reconciled"] == [True]
        assert (state["seal_ok"], state["problems"]) == (True, [])
        assert state["pages"] >= 2
