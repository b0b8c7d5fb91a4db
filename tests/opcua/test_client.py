"""The machine-event client against the real twin server over loopback.

Resume, backfill, gap detection with fault injection, restart of the server, an unreachable
line (bounded, never hangs), and commands refused with the line's message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import pytest_asyncio

from rempart.opcua.client import (
    CommandRefused,
    FollowerSettings,
    JournalFollower,
    LineClient,
    LineUnavailable,
    catch_up,
    run_with_line,
)
from rempart.opcua.server import TwinServer
from rempart.twin.line import FillingLine
from tests.opcua.conftest import START, free_port
from tests.twin.conftest import quiet_params

pytestmark = pytest.mark.asyncio(loop_scope="session")


class MemorySink:
    """An idempotent in-memory sink, as the database one must behave."""

    def __init__(self) -> None:
        self.entries: dict[int, dict[str, Any]] = {}
        self.gaps: list[tuple[int, int]] = []
        self.store_calls = 0

    def last_sequence(self) -> int:
        covered = set(self.entries) | {s for a, b in self.gaps for s in range(a, b + 1)}
        return max(covered, default=0)

    def store(self, entries: Sequence[dict[str, Any]], gaps: Sequence[tuple[int, int]]) -> None:
        self.store_calls += 1
        for entry in entries:
            self.entries.setdefault(int(entry["sequence"]), entry)
        self.gaps.extend(gap for gap in gaps if gap not in self.gaps)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def lossy_server() -> AsyncIterator[TwinServer]:
    line = FillingLine(quiet_params(), seed=11, start=START)
    line.step(4 * 3600)  # particle readings every minute: a few hundred entries
    drop = frozenset({5, *range(50, 61)})
    async with TwinServer(line, port=free_port(), speed=None, drop_sequences=drop) as server:
        yield server


async def test_catch_up_stores_everything_once_and_reports_true_gaps(
    lossy_server: TwinServer,
) -> None:
    sink = MemorySink()
    async with LineClient(lossy_server.endpoint) as line:
        last = await line.last_sequence()
        report = await catch_up(line, sink, page_size=100)
        assert report.gaps == [(5, 5), (50, 60)]
        assert sink.gaps == [(5, 5), (50, 60)]
        assert set(sink.entries) == set(range(1, last + 1)) - {5, *range(50, 61)}
        assert report.last_sequence == last
        again = await catch_up(line, sink, page_size=100)
        assert again.entries_stored == 0
        assert again.gaps == []


#: Sequences the garbling server sends garbled: bad JSON, nested 5,000 deep, no kind.
GARBLED = {7: "{not json", 8: "[" * 5000 + "]" * 5000, 9: '{"line": "LINE-1"}'}


class GarblingServer(TwinServer):
    """A line whose journal sends the entries of `GARBLED` garbled."""

    def read_entries(self, from_sequence: int, max_count: int) -> list[str]:
        texts = super().read_entries(from_sequence, max_count)
        return [
            GARBLED.get(from_sequence + i, text) for i, text in enumerate(texts)
        ]  # no sequence is dropped here, so position i is sequence from_sequence + i


async def test_garbled_entries_become_a_data_gap_and_the_rest_is_stored() -> None:
    line = FillingLine(quiet_params(), seed=13, start=START)
    line.step(3600)
    sink = MemorySink()
    async with (
        GarblingServer(line, port=free_port(), speed=None) as server,
        LineClient(server.endpoint) as client,
    ):
        last = await client.last_sequence()
        report = await catch_up(client, sink, page_size=100)
    assert report.gaps == [(7, 9)]
    assert set(sink.entries) == set(range(1, last + 1)) - {7, 8, 9}


async def test_pages_smaller_than_the_gap_still_find_it(lossy_server: TwinServer) -> None:
    sink = MemorySink()
    async with LineClient(lossy_server.endpoint) as line:
        report = await catch_up(line, sink, page_size=4)
    assert report.gaps == [(5, 5), (50, 52), (53, 56), (57, 60)]
    covered = {s for a, b in report.gaps for s in range(a, b + 1)}
    assert covered == {5, *range(50, 61)}


async def test_follower_resumes_after_the_server_restarts() -> None:
    line = FillingLine(quiet_params(), seed=12, start=START)
    port = free_port()
    sink = MemorySink()
    stop = asyncio.Event()
    follower = JournalFollower(
        f"opc.tcp://127.0.0.1:{port}/rempart/",
        sink,
        FollowerSettings(
            poll_interval_s=0.1, timeout_s=2, reconnect_initial_s=0.1, reconnect_max_s=0.5
        ),
    )

    async def until(predicate: Any, timeout_s: float = 30) -> None:
        async with asyncio.timeout(timeout_s):
            while not predicate():
                await asyncio.sleep(0.05)

    async with TwinServer(line, port=port, speed=None) as server:
        task = asyncio.create_task(follower.run(stop))
        await server.advance(600)
        first_last = line.journal.last_sequence
        await until(lambda: sink.last_sequence() == first_last)
    line.step(900)  # the line goes on while its server is down
    await until(lambda: follower.reconnects >= 1)
    async with TwinServer(line, port=port, speed=None):
        await until(lambda: sink.last_sequence() == line.journal.last_sequence)
    stop.set()
    async with asyncio.timeout(15):
        await task
    assert set(sink.entries) == set(range(1, line.journal.last_sequence + 1))
    assert sink.gaps == []


async def test_unreachable_line_is_bounded_and_stoppable() -> None:
    sink = MemorySink()
    stop = asyncio.Event()
    follower = JournalFollower(
        f"opc.tcp://127.0.0.1:{free_port()}/rempart/",
        sink,
        FollowerSettings(timeout_s=0.5, reconnect_initial_s=0.05, reconnect_max_s=0.2),
    )
    task = asyncio.create_task(follower.run(stop))
    await asyncio.sleep(1.5)
    assert follower.reconnects >= 2
    stop.set()
    async with asyncio.timeout(10):
        await task
    with pytest.raises(LineUnavailable, match="cannot reach"):
        await run_with_line(
            f"opc.tcp://127.0.0.1:{free_port()}/rempart/", LineClient.last_sequence, timeout_s=0.5
        )


async def test_commands_and_status_through_the_client(lossy_server: TwinServer) -> None:
    async with LineClient(lossy_server.endpoint) as line:
        with pytest.raises(CommandRefused) as refused:
            await line.command("Unhold")
        assert refused.value.status == "BadInvalidState"
        assert refused.value.message
        with pytest.raises(CommandRefused) as bad_product:
            await line.load_batch("C-1", "NOPE", "V5", 10)
        assert "ProductCode" in bad_product.value.message
        assert "loaded" in await line.load_batch("C-1", "ROCU-10-5", "V5", 10)
        status = await line.status()
        assert (status.state, status.batch_id, status.product_code) == ("Idle", "C-1", "ROCU-10-5")
        assert status.last_sequence == lossy_server.line.journal.last_sequence
        with pytest.raises(ValueError, match="unknown PackML command"):
            await line.command("Explode")
