"""The ingester keeps following through a restart of the line's OPC UA server: the follower
(with the database sink) runs in its own thread; the server is stopped, the line goes on,
a new server opens on the same port with the same journal; everything ends up stored once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from rempart.mes.machine.models import MachineEvent, VialRecord
from rempart.mes.machine.services import DatabaseSink
from rempart.opcua.client import FollowerSettings, JournalFollower
from rempart.opcua.server import TwinServer
from rempart.twin.line import FillingLine
from tests.opcua.conftest import START, free_port
from tests.twin.conftest import load, quiet_params

pytestmark = pytest.mark.usefixtures("sqlite_flush_guard")


def wait_for(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_ingestion_survives_a_server_restart() -> None:
    server_loop = asyncio.new_event_loop()
    threading.Thread(target=server_loop.run_forever, daemon=True).start()

    def on_server(coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, server_loop).result(60)

    line = FillingLine(quiet_params(), seed=9, start=START)
    load(line, "RST-001", quantity=20)
    line.command("Start")
    port = free_port()
    server = TwinServer(line, port=port, speed=None)
    on_server(server.start())

    sink = DatabaseSink("LINE-1")
    stop = asyncio.Event()
    settings = FollowerSettings(poll_interval_s=0.2, reconnect_initial_s=0.1, reconnect_max_s=0.5)
    follower = JournalFollower(server.endpoint, sink, settings, on_event=lambda _m: None)
    follower_loop = asyncio.new_event_loop()
    worker = threading.Thread(
        target=follower_loop.run_until_complete, args=(follower.run(stop),), daemon=True
    )
    worker.start()
    try:
        on_server(server.advance(4200 + 8 * 6))
        wait_for(lambda: sink.last_sequence() == line.journal.last_sequence)
        on_server(server.stop())
        line.step(4200)  # the line goes on while its server is down
        server = TwinServer(line, port=port, speed=None)
        on_server(server.start())
        wait_for(lambda: sink.last_sequence() == line.journal.last_sequence)
    finally:
        follower_loop.call_soon_threadsafe(stop.set)
        worker.join(15)
        on_server(server.stop())
        server_loop.call_soon_threadsafe(server_loop.stop)
        sink.close()
    assert follower.reconnects >= 1
    assert MachineEvent.objects.count() == line.journal.last_sequence
    assert VialRecord.objects.filter(batch_number="RST-001").count() == 20
