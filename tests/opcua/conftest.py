"""One OPC UA server for the whole session (start-up costs 4-5 s), stepped by hand."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio
from asyncua import Client

from rempart.opcua.server import TwinServer
from rempart.twin.line import FillingLine
from tests.opcua.drivers import OpcUaDriver
from tests.twin.conftest import quiet_params

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def twin_server() -> AsyncIterator[TwinServer]:
    line = FillingLine(quiet_params(), seed=5, start=START)
    async with TwinServer(line, port=free_port(), speed=None) as server:
        yield server


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def opcua_driver(twin_server: TwinServer) -> AsyncIterator[OpcUaDriver]:
    async with Client(twin_server.endpoint, timeout=10) as client:
        driver = OpcUaDriver(client, twin_server)
        await driver.connect()
        yield driver
