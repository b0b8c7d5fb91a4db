"""The twin behind an OPC UA facade: what a client sees of a real filling line.

Collaboration::

    OPC UA client ──(read / call)──► asyncua Server ──► TwinServer (this module)
                                                          │  method handlers: parse the
                                                          │  arguments, call ONE twin
                                                          │  operation, publish, answer
                                                          ▼
    asyncio task `_pace` ──run_until(sim time)──► FillingLine (rempart.twin, SimPy)
          │  every tick: sim target = start + wall elapsed × speed        │
          │                                                              ▼
          └──── publish(): twin state/counters ──► variables    Journal (append-only)
                                                                        ▲
    ReadJournal(from, max) ──────────── entries as canonical JSON ──────┘

Everything runs on one event loop, so the twin is only touched by one coroutine at a time
and needs no lock. The pacing task computes its target from the wall clock at every tick,
so a slow tick is caught up at the next one and the lag cannot grow while the twin is fast
enough. Method handlers never raise: a bad argument or a command refused in the current
state returns a Bad status code with the reason as the `Message` output argument (and in
`LastCommandResult`), and nothing changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC
from typing import Any, cast

from asyncua import ua
from asyncua.server.server import Server
from asyncua.ua.status_codes import StatusCodes

from rempart.domain.catalog import VIAL_FORMATS, demo_products
from rempart.domain.errors import DomainError
from rempart.domain.products import Product
from rempart.opcua.address_space import LineNodes, build_address_space
from rempart.twin.batch import TerminalState
from rempart.twin.errors import CommandRefused
from rempart.twin.line import FillingLine
from rempart.twin.packml import MODE_NUMBERS, STATE_NUMBERS

log = logging.getLogger(__name__)

#: Most entries one ReadJournal call returns: keeps a response well under message limits.
MAX_READ_COUNT = 1000
#: Wall seconds between two pacing steps.
TICK_S = 0.1


def parse_sequence_ranges(text: str) -> frozenset[int]:
    """`"100-200,305"` → the sequences to drop (fault injection for ingestion tests)."""
    dropped: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        low, dash, high = part.partition("-")
        try:
            a, b = int(low), int(high if dash else low)
        except ValueError:
            raise ValueError(f"not a sequence or range: {part!r}") from None
        if a < 1 or b < a:
            raise ValueError(f"not an increasing range of sequences ≥ 1: {part!r}")
        dropped.update(range(a, b + 1))
    return frozenset(dropped)


def _result(status: int, message: str, *extra: ua.Variant) -> ua.CallMethodResult:
    result = ua.CallMethodResult()
    result.StatusCode = ua.StatusCode(cast(Any, status))
    result.OutputArguments = [*extra] if extra else [ua.Variant(message, ua.VariantType.String)]
    return result


class TwinServer:
    """Serve a `FillingLine` over OPC UA, advancing it at `speed` × real time.

    With `speed=None` nothing advances the twin but `advance()`: the tests use that to drive
    simulated time deterministically while every read and call still goes over OPC UA.
    """

    def __init__(
        self,
        line: FillingLine,
        *,
        host: str = "127.0.0.1",
        port: int = 4840,
        speed: float | None = 60.0,
        products: Iterable[Product] | None = None,
        drop_sequences: frozenset[int] = frozenset(),
    ) -> None:
        if speed is not None and speed <= 0:
            raise ValueError("speed must be greater than 0")
        self.line = line
        self.host = host
        self.port = port
        self.speed = speed
        self.endpoint = f"opc.tcp://{host}:{port}/rempart/"
        self.products = {p.code: p for p in (products or demo_products())}
        self.drop_sequences = drop_sequences
        self._server = Server()
        self._nodes: LineNodes | None = None
        self._published: dict[str, Any] = {}
        self._pacer: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Build the address space, open the endpoint and start pacing the twin."""
        await self._server.init()
        self._server.set_endpoint(self.endpoint)
        self._server.set_server_name(f"rempart twin {self.line.params.line_id}")
        self._server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        self._nodes = await build_address_space(
            self._server,
            line_id=self.line.params.line_id,
            commands=self._command_handler,
            set_unit_mode=self._set_unit_mode,
            load_batch=self._load_batch,
            read_journal=self._read_journal,
        )
        await self._server.start()
        await self.publish()
        if self.speed is not None:
            self._pacer = asyncio.create_task(self._pace(speed=self.speed), name="twin-pacer")

    async def stop(self) -> None:
        if self._pacer is not None:
            self._pacer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pacer
            self._pacer = None
        await self._server.stop()

    async def __aenter__(self) -> TwinServer:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def serve_until(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set; if the pacing task dies, re-raise its error here
        rather than keep serving a frozen line."""
        waiter = asyncio.create_task(stop.wait())
        watched: set[asyncio.Future[Any]] = {waiter}
        if self._pacer is not None:
            watched.add(self._pacer)
        done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if self._pacer is not None and self._pacer in done:
            pacer, self._pacer = self._pacer, None
            pacer.result()

    # ------------------------------------------------------------------ pacing
    async def _pace(self, *, speed: float) -> None:
        loop = asyncio.get_running_loop()
        wall0, sim0 = loop.time(), self.line.now_s
        while True:
            await asyncio.sleep(TICK_S)
            self.line.run_until(sim0 + (loop.time() - wall0) * speed)
            await self.publish()

    async def advance(self, sim_seconds: float) -> None:
        """Step the twin by hand (a server built with `speed=None`, as in the tests)."""
        if self._pacer is not None:
            raise RuntimeError("this server paces itself; advance() is for speed=None")
        self.line.step(sim_seconds)
        await self.publish()

    # ------------------------------------------------------------------ publishing
    def snapshot(self) -> dict[str, Any]:
        """Every published variable's value, by "Folder/Name"."""
        line = self.line
        run = line.batch
        c = line.counts
        particles_05, particles_5, level = line.last_particles
        return {
            "Status/StateCurrent": STATE_NUMBERS[line.state],
            "Status/UnitModeCurrent": MODE_NUMBERS[line.mode],
            "Status/CurMachSpeed": line.current_speed_vials_per_h / 60.0,
            "Status/MachSpeed": line.params.nominal_rate_vials_per_h / 60.0,
            "Status/StateName": str(line.state),
            "Status/UnitModeName": str(line.mode),
            "Admin/ProdProcessedCount": sum(c.values()),
            "Admin/ProdDefectiveCount": c[TerminalState.REJECTED] + c[TerminalState.DESTROYED],
            "Admin/StopReason": line.stop_reason,
            "Batch/BatchId": run.batch_id if run else "",
            "Batch/ProductCode": run.order.product.code if run else "",
            "Batch/VialFormat": run.order.vial_format.code if run else "",
            "Batch/TargetQuantity": run.order.target_quantity if run else 0,
            "Batch/VialsIssued": run.issued if run else 0,
            "Batch/VialsGood": run.good if run else 0,
            "Batch/VialsRejected": run.counts[TerminalState.REJECTED] if run else 0,
            "Batch/VialsQcSamples": run.counts[TerminalState.QC_SAMPLE] if run else 0,
            "Environment/Count0_5umPerM3": particles_05,
            "Environment/Count5umPerM3": particles_5,
            "Environment/ParticleLevel": str(level),
            "Environment/ActiveAlarms": len(line.losses.active_alarms),
            "Journal/LastSequence": line.journal.last_sequence,
            "Line/SimulatedTime": line.now.astimezone(UTC).replace(tzinfo=None),
            "Line/SimulatedSeconds": line.now_s,
            "Line/Speed": self.speed or 0.0,
        }

    async def publish(self) -> None:
        assert self._nodes is not None
        for key, value in self.snapshot().items():
            if self._published.get(key) == value:
                continue
            node, vtype = self._nodes.variables[key]
            await self._server.write_attribute_value(
                node.nodeid, ua.DataValue(ua.Variant(value, vtype))
            )
            self._published[key] = value

    async def _answer(self, status: int, message: str, *extra: ua.Variant) -> ua.CallMethodResult:
        assert self._nodes is not None
        node, vtype = self._nodes.variables["Line/LastCommandResult"]
        await self._server.write_attribute_value(
            node.nodeid, ua.DataValue(ua.Variant(message, vtype))
        )
        await self.publish()
        return _result(status, message, *extra)

    # ------------------------------------------------------------------ methods
    def _command_handler(self, name: str) -> Callable[..., Awaitable[ua.CallMethodResult]]:
        async def handler(_parent: ua.NodeId, *args: ua.Variant) -> ua.CallMethodResult:
            if args:
                return await self._answer(
                    StatusCodes.BadTooManyArguments, f"{name} takes no arguments"
                )
            try:
                state = self.line.command(name)
            except CommandRefused as exc:
                return await self._answer(StatusCodes.BadInvalidState, str(exc))
            return await self._answer(StatusCodes.Good, f"{name} accepted: {state}")

        return handler

    async def _set_unit_mode(self, _parent: ua.NodeId, *args: ua.Variant) -> ua.CallMethodResult:
        values = [a.Value for a in args]
        if len(values) != 1 or not isinstance(values[0], str):
            return await self._answer(
                StatusCodes.BadInvalidArgument, "SetUnitMode(Mode: String) expected"
            )
        try:
            mode = self.line.set_mode(values[0])
        except CommandRefused as exc:
            status = StatusCodes.BadInvalidState
            if exc.reason == "unknown mode":
                status = StatusCodes.BadInvalidArgument
            return await self._answer(status, str(exc))
        return await self._answer(StatusCodes.Good, f"mode is {mode}")

    async def _load_batch(self, _parent: ua.NodeId, *args: ua.Variant) -> ua.CallMethodResult:
        values = [a.Value for a in args]
        expected = (
            "LoadBatch(BatchId: String, ProductCode: String, VialFormatCode: String, "
            "TargetQuantity: Int32)"
        )
        if len(values) != 4:
            return await self._answer(
                StatusCodes.BadArgumentsMissing
                if len(values) < 4
                else StatusCodes.BadTooManyArguments,
                f"{expected} expected, got {len(values)} arguments",
            )
        batch_id, product_code, format_code, quantity = values
        bad = StatusCodes.BadInvalidArgument
        if not all(isinstance(v, str) for v in (batch_id, product_code, format_code)):
            return await self._answer(bad, f"{expected}: the first three are strings")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            return await self._answer(bad, "TargetQuantity: a whole number of vials")
        product = self.products.get(product_code)
        if product is None:
            return await self._answer(bad, f"ProductCode: unknown product {product_code!r}")
        vial_format = VIAL_FORMATS.get(format_code)
        if vial_format is None:
            known = ", ".join(VIAL_FORMATS)
            return await self._answer(
                bad, f"VialFormatCode: unknown {format_code!r}; known: {known}"
            )
        try:
            self.line.load_batch(batch_id, product, vial_format, quantity)
        except CommandRefused as exc:
            return await self._answer(StatusCodes.BadInvalidState, str(exc))
        except DomainError as exc:
            return await self._answer(bad, str(exc))
        return await self._answer(
            StatusCodes.Good,
            f"batch {batch_id} loaded: {quantity} × {product_code} in {format_code}",
        )

    def read_entries(self, from_sequence: int, max_count: int) -> list[str]:
        """Journal entries as canonical JSON, minus any sequences dropped on purpose."""
        entries = self.line.journal.read(from_sequence, max_count)
        return [e.to_json() for e in entries if e.sequence not in self.drop_sequences]

    async def _read_journal(self, _parent: ua.NodeId, *args: ua.Variant) -> ua.CallMethodResult:
        values = [a.Value for a in args]
        bad = StatusCodes.BadInvalidArgument
        if len(values) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in values):
            return _result(bad, "ReadJournal(FromSequence: Int64, MaxCount: Int32) expected")
        from_sequence, max_count = values
        if from_sequence < 1:
            return _result(bad, "FromSequence: sequences start at 1")
        if not 1 <= max_count <= MAX_READ_COUNT:
            return _result(bad, f"MaxCount: between 1 and {MAX_READ_COUNT}")
        entries = self.read_entries(from_sequence, max_count)
        return _result(
            StatusCodes.Good, "", ua.Variant(entries, ua.VariantType.String, is_array=True)
        )


async def serve(
    line: FillingLine,
    *,
    host: str,
    port: int,
    speed: float,
    drop_sequences: frozenset[int] = frozenset(),
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then stop cleanly (used by `rempart twin serve`)."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with TwinServer(
        line, host=host, port=port, speed=speed, drop_sequences=drop_sequences
    ) as served:
        if on_ready is not None:
            on_ready(served.endpoint)
        await served.serve_until(stop)
