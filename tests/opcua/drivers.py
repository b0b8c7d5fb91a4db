"""Two ways to drive the same line in the shared behaviour tests.

`DirectDriver` calls the twin's Python API; `OpcUaDriver` does the same through a real
asyncua client over loopback: every command, read and journal page crosses OPC UA. Both
answer `(accepted, message)` for a command, so one test checks both paths.
"""

from __future__ import annotations

import json
from typing import Any

from asyncua import Client, Node, ua
from asyncua.ua.status_codes import StatusCodes

from rempart.domain.catalog import VIAL_FORMATS, demo_products
from rempart.domain.errors import DomainError
from rempart.opcua.address_space import PACKML_METHODS, PACKML_NS_URI, REMPART_NS_URI
from rempart.opcua.server import TwinServer
from rempart.twin.line import FillingLine
from rempart.twin.packml import STATE_NUMBERS, State

STATE_BY_NUMBER = {number: str(state) for state, number in STATE_NUMBERS.items()}
PACKML_COMMANDS = frozenset(PACKML_METHODS)


class DirectDriver:
    path = "direct"

    def __init__(self, line: FillingLine) -> None:
        self.line = line

    async def command(self, name: str) -> tuple[bool, str]:
        try:
            return True, str(self.line.command(name))
        except DomainError as exc:
            return False, str(exc)

    async def set_mode(self, mode: str) -> tuple[bool, str]:
        try:
            return True, str(self.line.set_mode(mode))
        except DomainError as exc:
            return False, str(exc)

    async def load_batch(
        self, batch_id: str, product_code: str, format_code: str, quantity: int
    ) -> tuple[bool, str]:
        product = next((p for p in demo_products() if p.code == product_code), None)
        if product is None:
            return False, f"ProductCode: unknown product {product_code!r}"
        if format_code not in VIAL_FORMATS:
            return False, f"VialFormatCode: unknown {format_code!r}"
        try:
            self.line.load_batch(batch_id, product, VIAL_FORMATS[format_code], quantity)
        except DomainError as exc:
            return False, str(exc)
        return True, "loaded"

    async def advance(self, seconds: float) -> None:
        self.line.step(seconds)

    async def state(self) -> str:
        return str(self.line.state)

    async def mode(self) -> str:
        return str(self.line.mode)

    async def last_sequence(self) -> int:
        return self.line.journal.last_sequence

    async def read_journal(self, from_sequence: int, max_count: int) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.line.journal.read(from_sequence, max_count)]

    async def batch_id(self) -> str:
        return self.line.batch.batch_id if self.line.batch else ""


class OpcUaDriver:
    path = "opcua"

    def __init__(self, client: Client, server: TwinServer) -> None:
        self.client = client
        self.server = server
        self._line: Node | None = None
        self.packml = 0
        self.rempart = 0

    async def connect(self) -> None:
        self.packml = await self.client.get_namespace_index(PACKML_NS_URI)
        self.rempart = await self.client.get_namespace_index(REMPART_NS_URI)
        self._line = await self.client.nodes.objects.get_child(f"{self.rempart}:FillingLine")

    @property
    def line_node(self) -> Node:
        assert self._line is not None
        return self._line

    async def node(self, *path: str) -> Node:
        return await self.line_node.get_child(list(path))

    async def value(self, *path: str) -> Any:
        return await (await self.node(*path)).read_value()

    async def call(self, parent: Node, method: str, *args: ua.Variant) -> ua.CallMethodResult:
        """A raw Call: the status code and the Message output, even when the status is Bad."""
        request = ua.CallMethodRequest()
        request.ObjectId = parent.nodeid
        request.MethodId = (await parent.get_child(method)).nodeid
        request.InputArguments = list(args)
        (result,) = await self.client.uaclient.call([request])
        return result

    async def _answer(self, result: ua.CallMethodResult) -> tuple[bool, str]:
        message = result.OutputArguments[0].Value if result.OutputArguments else ""
        if result.StatusCode.is_good():
            return True, message
        assert result.StatusCode.value in (
            StatusCodes.BadInvalidState,
            StatusCodes.BadInvalidArgument,
        ), result.StatusCode
        return False, message

    async def command(self, name: str) -> tuple[bool, str]:
        if name not in PACKML_COMMANDS:
            return False, f"{name}: unknown command (no such method)"
        return await self._answer(await self.call(self.line_node, f"{self.packml}:{name}"))

    async def set_mode(self, mode: str) -> tuple[bool, str]:
        arg = ua.Variant(mode, ua.VariantType.String)
        return await self._answer(
            await self.call(self.line_node, f"{self.packml}:SetUnitMode", arg)
        )

    async def load_batch(
        self, batch_id: str, product_code: str, format_code: str, quantity: int
    ) -> tuple[bool, str]:
        args = [
            ua.Variant(batch_id, ua.VariantType.String),
            ua.Variant(product_code, ua.VariantType.String),
            ua.Variant(format_code, ua.VariantType.String),
            ua.Variant(quantity, ua.VariantType.Int32),
        ]
        return await self._answer(
            await self.call(self.line_node, f"{self.rempart}:LoadBatch", *args)
        )

    async def advance(self, seconds: float) -> None:
        await self.server.advance(seconds)

    async def state(self) -> str:
        return STATE_BY_NUMBER[
            await self.value(f"{self.packml}:Status", f"{self.packml}:StateCurrent")
        ]

    async def mode(self) -> str:
        return str(await self.value(f"{self.packml}:Status", f"{self.rempart}:UnitModeName"))

    async def last_sequence(self) -> int:
        return int(await self.value(f"{self.rempart}:Journal", f"{self.rempart}:LastSequence"))

    async def read_journal(self, from_sequence: int, max_count: int) -> list[dict[str, Any]]:
        journal = await self.node(f"{self.rempart}:Journal")
        entries = await journal.call_method(
            f"{self.rempart}:ReadJournal",
            ua.Variant(from_sequence, ua.VariantType.Int64),
            ua.Variant(max_count, ua.VariantType.Int32),
        )
        return [json.loads(text) for text in entries or []]

    async def batch_id(self) -> str:
        return str(await self.value(f"{self.rempart}:Batch", f"{self.rempart}:BatchId"))


async def bring_to_idle(driver: DirectDriver | OpcUaDriver) -> None:
    """From whatever a previous test left, back to Idle in Production with no batch loaded."""
    for _ in range(20):
        state = await driver.state()
        if state == State.IDLE and not await driver.batch_id():
            break
        if state == State.IDLE:
            await driver.command("Stop")
        elif state == State.ABORTED:
            await driver.command("Clear")
        elif state in (State.STOPPED, State.COMPLETE):
            await driver.command("Reset")
        elif state in (State.EXECUTE, State.HELD, State.SUSPENDED):
            await driver.command("Stop")
        await driver.advance(300)
    else:
        raise AssertionError(f"could not bring the line to Idle (in {await driver.state()})")
    if await driver.mode() != "Production":
        ok, message = await driver.set_mode("Production")
        assert ok, message
