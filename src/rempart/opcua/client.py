"""The machine-event client: command the line and follow its journal, without losing an entry.

```
 JournalFollower ──run()──► LineClient ──asyncua──► the line's OPC UA server
       │  (resume from sink.last_sequence(), page with ReadJournal, check continuity,
       │   reconnect with bounded back-off; never hangs: every call has a timeout)
       ▼
 JournalSink (protocol): last_sequence() / store(entries, gaps)
       — the MES implements it on the database (idempotent on (line, sequence); a page's
         entries and gaps in one transaction); tests implement it in memory.
```

The journal contract is docs/opcua.md: sequences 1, 2, 3, ... without gaps; `ReadJournal
(FromSequence, MaxCount)` returns the entries of [FromSequence, FromSequence + MaxCount) in
order. An entry missing from a page (or unreadable: not the documented JSON object) is
re-read once; if it is still missing it is a machine data gap: the sink records it with the
page (it will block the release of the batches it touches) and the follower goes on, so that
one lost entry never stops ingestion.

This module never imports the twin: it talks to any server with the documented node model.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.ua.uaerrors import UaError

from rempart.domain import json_text
from rempart.opcua.address_space import PACKML_METHODS, PACKML_NS_URI, REMPART_NS_URI

log = logging.getLogger(__name__)

MAX_PAGE = 1000

#: What a lost connection looks like through asyncua and the socket layer.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    asyncio.TimeoutError,
    TimeoutError,
    UaError,
    EOFError,
)


DISCONNECT_ERRORS: tuple[type[BaseException], ...] = (*CONNECTION_ERRORS, RuntimeError)


class LineUnavailable(Exception):
    """The line could not be reached (after the configured attempts)."""


class CommandRefused(Exception):
    """The line answered a command with a Bad status; nothing changed on the line."""

    def __init__(self, command: str, status: str, message: str) -> None:
        self.command = command
        self.status = status
        self.message = message
        super().__init__(f"{command} refused ({status}): {message}")


class MalformedEntry(Exception):
    """A journal entry that is not the documented JSON object."""


@dataclass(frozen=True, slots=True)
class LineStatus:
    state: str
    mode: str
    batch_id: str
    product_code: str
    vials_issued: int
    vials_good: int
    vials_rejected: int
    speed_vials_per_min: float
    count_0_5um_per_m3: int
    count_5um_per_m3: int
    particle_level: str
    active_alarms: int
    stop_reason: str
    last_sequence: int


def parse_entry(text: str) -> dict[str, Any]:
    """One journal entry, checked for the fields every kind has."""
    try:
        entry = json_text.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedEntry(f"not JSON: {exc.msg}") from None
    if not isinstance(entry, dict):
        raise MalformedEntry("an entry is a JSON object")
    for key, kind in (("line", str), ("sequence", int), ("timestamp", str), ("kind", str)):
        if not isinstance(entry.get(key), kind) or isinstance(entry.get(key), bool):
            raise MalformedEntry(f"{key}: missing or not a {kind.__name__}")
    if entry["sequence"] < 1:
        raise MalformedEntry("sequence: not a positive integer")
    if not isinstance(entry.get("data"), dict):
        raise MalformedEntry("data: missing or not an object")
    return entry


class LineClient:
    """A connected client to one line: commands, status, journal pages.

    Use as `async with LineClient(endpoint) as line:`. Every request has a timeout.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout_s: float = 5.0,
        packml_uri: str = PACKML_NS_URI,
        rempart_uri: str = REMPART_NS_URI,
    ) -> None:
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self._uris = (packml_uri, rempart_uri)
        self._client = Client(endpoint, timeout=timeout_s)
        self._pk = self._rp = 0
        self._line: Node | None = None
        self._journal: Node | None = None

    async def connect(self) -> None:
        await asyncio.wait_for(self._client.connect(), self.timeout_s * 2)
        self._pk = await self._client.get_namespace_index(self._uris[0])
        self._rp = await self._client.get_namespace_index(self._uris[1])
        self._line = await self._client.nodes.objects.get_child(f"{self._rp}:FillingLine")
        self._journal = await self._line.get_child(f"{self._rp}:Journal")

    async def disconnect(self) -> None:
        try:
            await asyncio.wait_for(self._client.disconnect(), self.timeout_s)
        except DISCONNECT_ERRORS:
            log.debug("disconnect from %s was not clean", self.endpoint)

    async def __aenter__(self) -> LineClient:
        await self.connect()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.disconnect()

    def _node(self) -> Node:
        if self._line is None:
            raise LineUnavailable(f"not connected to {self.endpoint}")
        return self._line

    async def _read(self, *path: str) -> Any:
        node = await self._node().get_child(list(path))
        return await asyncio.wait_for(node.read_value(), self.timeout_s)

    async def _call(self, parent: Node, method: str, *args: ua.Variant) -> list[Any]:
        """Call a method; a Bad status raises `CommandRefused` with the line's message."""
        method_node = await parent.get_child(method)
        request = ua.CallMethodRequest()
        request.ObjectId = parent.nodeid
        request.MethodId = method_node.nodeid
        request.InputArguments = list(args)
        results = await asyncio.wait_for(self._client.uaclient.call([request]), self.timeout_s)
        result = results[0]
        outputs = [v.Value for v in (result.OutputArguments or [])]
        if not result.StatusCode.is_good():
            message = outputs[0] if outputs and isinstance(outputs[0], str) else ""
            name = method.split(":", 1)[-1]
            raise CommandRefused(name, result.StatusCode.name, message)
        return outputs

    async def command(self, name: str) -> str:
        """A PackML command (Start, Hold, ...). Returns the line's message."""
        if name not in PACKML_METHODS:
            raise ValueError(f"unknown PackML command {name!r}; known: {', '.join(PACKML_METHODS)}")
        outputs = await self._call(self._node(), f"{self._pk}:{name}")
        return str(outputs[0]) if outputs else ""

    async def load_batch(
        self, batch_id: str, product_code: str, vial_format_code: str, target_quantity: int
    ) -> str:
        outputs = await self._call(
            self._node(),
            f"{self._rp}:LoadBatch",
            ua.Variant(batch_id, ua.VariantType.String),
            ua.Variant(product_code, ua.VariantType.String),
            ua.Variant(vial_format_code, ua.VariantType.String),
            ua.Variant(target_quantity, ua.VariantType.Int32),
        )
        return str(outputs[0]) if outputs else ""

    async def last_sequence(self) -> int:
        return int(await self._read(f"{self._rp}:Journal", f"{self._rp}:LastSequence"))

    async def read_journal(
        self, from_sequence: int, max_count: int = MAX_PAGE
    ) -> list[dict[str, Any]]:
        """Up to `max_count` entries from `from_sequence`; unreadable ones are left out."""
        if self._journal is None:
            raise LineUnavailable(f"not connected to {self.endpoint}")
        outputs = await self._call(
            self._journal,
            f"{self._rp}:ReadJournal",
            ua.Variant(from_sequence, ua.VariantType.Int64),
            ua.Variant(max_count, ua.VariantType.Int32),
        )
        texts = outputs[0] if outputs and outputs[0] is not None else []
        entries = []
        for text in texts:
            try:
                entries.append(parse_entry(text))
            except MalformedEntry as exc:
                # Left out: its sequence is then a hole, re-read once by catch_up and recorded
                # as a data gap if it stays unreadable (it stopped the ingester before).
                log.warning("unreadable machine journal entry left out: %s", exc)
        return entries

    async def status(self) -> LineStatus:
        pk, rp = self._pk, self._rp
        values = await asyncio.gather(
            self._read(f"{pk}:Status", f"{rp}:StateName"),
            self._read(f"{pk}:Status", f"{rp}:UnitModeName"),
            self._read(f"{rp}:Batch", f"{rp}:BatchId"),
            self._read(f"{rp}:Batch", f"{rp}:ProductCode"),
            self._read(f"{rp}:Batch", f"{rp}:VialsIssued"),
            self._read(f"{rp}:Batch", f"{rp}:VialsGood"),
            self._read(f"{rp}:Batch", f"{rp}:VialsRejected"),
            self._read(f"{pk}:Status", f"{pk}:CurMachSpeed"),
            self._read(f"{rp}:Environment", f"{rp}:Count0_5umPerM3"),
            self._read(f"{rp}:Environment", f"{rp}:Count5umPerM3"),
            self._read(f"{rp}:Environment", f"{rp}:ParticleLevel"),
            self._read(f"{rp}:Environment", f"{rp}:ActiveAlarms"),
            self._read(f"{pk}:Admin", f"{pk}:StopReason"),
            self._read(f"{rp}:Journal", f"{rp}:LastSequence"),
        )
        (state, mode, batch, product, issued, good, rejected, speed, c05, c5, level, alarms,
         stop_reason, last) = values  # fmt: skip
        return LineStatus(
            state=str(state),
            mode=str(mode),
            batch_id=str(batch),
            product_code=str(product),
            vials_issued=int(issued),
            vials_good=int(good),
            vials_rejected=int(rejected),
            speed_vials_per_min=float(speed),
            count_0_5um_per_m3=int(c05),
            count_5um_per_m3=int(c5),
            particle_level=str(level),
            active_alarms=int(alarms),
            stop_reason=str(stop_reason),
            last_sequence=int(last),
        )


class JournalSink(Protocol):
    """Where entries go. Implementations must be idempotent on (line, sequence).

    `store` keeps a page's entries and its gaps (sequence ranges that could not be read)
    together, all or nothing: a crash between the two would otherwise leave the entries
    stored and the gap forgotten, as `last_sequence` covers both.
    """

    def last_sequence(self) -> int: ...

    def store(self, entries: Sequence[dict[str, Any]], gaps: Sequence[tuple[int, int]]) -> None: ...


@dataclass
class SyncReport:
    """What one catch-up pass did."""

    entries_stored: int = 0
    gaps: list[tuple[int, int]] = field(default_factory=list)
    last_sequence: int = 0


def find_gaps(
    expected_from: int, expected_to: int, sequences: Sequence[int]
) -> list[tuple[int, int]]:
    """Ranges of [expected_from, expected_to] missing from `sequences` (sorted ascending)."""
    gaps: list[tuple[int, int]] = []
    expected = expected_from
    for seq in sequences:
        if seq < expected:
            continue
        if seq > expected_to:
            break
        if seq > expected:
            gaps.append((expected, seq - 1))
        expected = seq + 1
    if expected <= expected_to:
        gaps.append((expected, expected_to))
    return gaps


async def catch_up(line: LineClient, sink: JournalSink, *, page_size: int = MAX_PAGE) -> SyncReport:
    """Store every entry after the sink's last sequence up to the line's last sequence.

    Each page is checked for holes; a hole is re-read once, then recorded as a gap.
    """
    report = SyncReport()
    stored = sink.last_sequence()
    target = await line.last_sequence()
    while stored < target:
        window_end = min(target, stored + page_size)
        entries = [
            e for e in await line.read_journal(stored + 1, page_size) if e["sequence"] <= window_end
        ]
        entries.sort(key=lambda e: int(e["sequence"]))
        for first, last in find_gaps(stored + 1, window_end, [e["sequence"] for e in entries]):
            retry = await line.read_journal(first, last - first + 1)
            entries.extend(e for e in retry if first <= e["sequence"] <= last)
        entries.sort(key=lambda e: int(e["sequence"]))
        unique = list({int(e["sequence"]): e for e in entries}.values())
        gaps = find_gaps(stored + 1, window_end, [e["sequence"] for e in unique])
        for first, last in gaps:
            log.warning("machine data gap: sequences %d-%d cannot be read", first, last)
        if unique or gaps:
            sink.store(unique, gaps)
        report.entries_stored += len(unique)
        report.gaps.extend(gaps)
        stored = window_end
    report.last_sequence = stored
    return report


@dataclass
class FollowerSettings:
    poll_interval_s: float = 1.0
    timeout_s: float = 5.0
    reconnect_initial_s: float = 0.2
    reconnect_max_s: float = 5.0
    page_size: int = MAX_PAGE


class JournalFollower:
    """Follow a line's journal forever (until `stop` is set), surviving any outage.

    After a failure (server restart, network loss, timeout) it reconnects with exponential
    back-off capped at `reconnect_max_s`, then resumes from the sink's last sequence.
    """

    def __init__(
        self,
        endpoint: str,
        sink: JournalSink,
        settings: FollowerSettings | None = None,
        on_event: Callable[[str], None] | None = None,
        client_factory: Callable[[str, float], LineClient] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.sink = sink
        self.settings = settings or FollowerSettings()
        self.on_event = on_event or (lambda message: log.info("%s", message))
        self._factory = client_factory or (lambda ep, t: LineClient(ep, timeout_s=t))
        self.connected = asyncio.Event()
        self.reconnects = 0

    async def run(self, stop: asyncio.Event) -> None:
        delay = self.settings.reconnect_initial_s
        while not stop.is_set():
            line = self._factory(self.endpoint, self.settings.timeout_s)
            try:
                await line.connect()
                self.connected.set()
                self.on_event(f"connected to {self.endpoint}")
                delay = self.settings.reconnect_initial_s
                await self._follow(line, stop)
            except CONNECTION_ERRORS as exc:
                self.connected.clear()
                self.reconnects += 1
                self.on_event(
                    f"line unreachable ({exc.__class__.__name__}: {exc}); retrying in {delay:.1f} s"
                )
                await _sleep_or_stop(stop, delay)
                delay = min(delay * 2, self.settings.reconnect_max_s)
            finally:
                await line.disconnect()
        self.connected.clear()

    async def _follow(self, line: LineClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            report = await catch_up(line, self.sink, page_size=self.settings.page_size)
            if report.entries_stored or report.gaps:
                self.on_event(
                    f"stored {report.entries_stored} entries up to {report.last_sequence}"
                    + (f"; gaps {report.gaps}" if report.gaps else "")
                )
            await _sleep_or_stop(stop, self.settings.poll_interval_s)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return


async def run_with_line(
    endpoint: str, action: Callable[[LineClient], Awaitable[Any]], *, timeout_s: float = 5.0
) -> Any:
    """Connect, run one action, disconnect; unreachable line → `LineUnavailable`."""
    line = LineClient(endpoint, timeout_s=timeout_s)
    try:
        await line.connect()
    except CONNECTION_ERRORS as exc:
        raise LineUnavailable(
            f"cannot reach the line at {endpoint}: {exc.__class__.__name__}"
        ) from None
    try:
        return await action(line)
    finally:
        await line.disconnect()
