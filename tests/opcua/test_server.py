"""What only the OPC UA facade does: node model, status codes, fault injection, signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from asyncua import Client, ua
from asyncua.ua.status_codes import StatusCodes

from rempart.opcua.server import MAX_READ_COUNT, TwinServer, parse_sequence_ranges
from rempart.twin.packml import MODE_NUMBERS, STATE_NUMBERS, Mode, State
from tests.opcua.conftest import free_port
from tests.opcua.drivers import OpcUaDriver, bring_to_idle

pytestmark = pytest.mark.asyncio(loop_scope="session")

PACKML_NODES = {
    ("Status", "StateCurrent"): ua.VariantType.Int32,
    ("Status", "UnitModeCurrent"): ua.VariantType.Int32,
    ("Status", "CurMachSpeed"): ua.VariantType.Float,
    ("Admin", "ProdProcessedCount"): ua.VariantType.Int32,
    ("Admin", "ProdDefectiveCount"): ua.VariantType.Int32,
    ("Admin", "StopReason"): ua.VariantType.String,
}


async def test_packml_browse_names_live_in_the_packml_namespace(opcua_driver: OpcUaDriver) -> None:
    d = opcua_driver
    for (folder, name), vtype in PACKML_NODES.items():
        node = await d.node(f"{d.packml}:{folder}", f"{d.packml}:{name}")
        assert (await node.read_browse_name()).NamespaceIndex == d.packml
        assert (await node.read_data_type_as_variant_type()) == vtype
    for method in (
        "Start",
        "Stop",
        "Hold",
        "Unhold",
        "Suspend",
        "Unsuspend",
        "Abort",
        "Clear",
        "Reset",
    ):
        await d.line_node.get_child(f"{d.packml}:{method}")
    for path in (
        ("Batch", "BatchId"),
        ("Environment", "Count0_5umPerM3"),
        ("Journal", "LastSequence"),
    ):
        await d.node(*(f"{d.rempart}:{p}" for p in path))
    await d.line_node.get_child(f"{d.rempart}:LoadBatch")
    await d.node(f"{d.rempart}:Journal", f"{d.rempart}:ReadJournal")


async def test_status_and_admin_follow_the_twin(
    opcua_driver: OpcUaDriver, twin_server: TwinServer
) -> None:
    d = opcua_driver
    await bring_to_idle(d)
    assert (await d.load_batch("T-STATUS-1", "ROCU-10-5", "V5", 3_000))[0]
    assert (await d.command("Start"))[0]
    for _ in range(50):
        if await d.state() == "Execute":
            break
        await d.advance(600)
    await d.advance(900)
    status = f"{d.packml}:Status"
    admin = f"{d.packml}:Admin"
    assert await d.value(status, f"{d.packml}:StateCurrent") == STATE_NUMBERS[State.EXECUTE]
    assert await d.value(status, f"{d.packml}:UnitModeCurrent") == MODE_NUMBERS[Mode.PRODUCTION]
    assert await d.value(status, f"{d.packml}:CurMachSpeed") == pytest.approx(10.0)
    line = twin_server.line
    assert await d.value(admin, f"{d.packml}:ProdProcessedCount") == sum(line.counts.values())
    issued = await d.value(f"{d.rempart}:Batch", f"{d.rempart}:VialsIssued")
    assert issued == line.batch.issued if line.batch else False
    assert issued > 0
    reading = await d.value(f"{d.rempart}:Environment", f"{d.rempart}:Count0_5umPerM3")
    assert reading == line.last_particles[0]
    assert await d.last_sequence() == line.journal.last_sequence
    assert (await d.command("Stop"))[0]


async def test_refusals_carry_a_bad_status_a_message_and_last_command_result(
    opcua_driver: OpcUaDriver,
) -> None:
    d = opcua_driver
    await bring_to_idle(d)
    result = await d.call(d.line_node, f"{d.packml}:Unhold")
    assert result.StatusCode.value == StatusCodes.BadInvalidState
    message = result.OutputArguments[0].Value
    assert message.startswith("Unhold refused in state Idle")
    assert await d.value(f"{d.rempart}:LastCommandResult") == message
    with pytest.raises(ua.UaStatusCodeError):
        await d.line_node.call_method(f"{d.packml}:Unhold")
    assert await d.state() == "Idle"


async def test_bad_arguments_return_bad_status_codes(opcua_driver: OpcUaDriver) -> None:
    d = opcua_driver
    await bring_to_idle(d)
    last = await d.last_sequence()
    s = ua.VariantType.String
    short = await d.call(d.line_node, f"{d.rempart}:LoadBatch", ua.Variant("X", s))
    assert short.StatusCode.value == StatusCodes.BadArgumentsMissing
    extra = await d.call(d.line_node, f"{d.packml}:Start", ua.Variant("now", s))
    assert extra.StatusCode.value == StatusCodes.BadTooManyArguments
    typed = await d.call(
        d.line_node,
        f"{d.rempart}:LoadBatch",
        *(ua.Variant(v, s) for v in ("X", "ROCU-10-5", "V5", "ten")),
    )
    assert typed.StatusCode.value == StatusCodes.BadInvalidArgument
    assert "TargetQuantity" in typed.OutputArguments[0].Value
    journal = await d.node(f"{d.rempart}:Journal")
    read = f"{d.rempart}:ReadJournal"
    i64, i32 = ua.VariantType.Int64, ua.VariantType.Int32
    for args, why in (
        ((ua.Variant(0, i64), ua.Variant(10, i32)), "start at 1"),
        ((ua.Variant(1, i64), ua.Variant(MAX_READ_COUNT + 1, i32)), "MaxCount"),
        ((ua.Variant(1, i64),), "expected"),
    ):
        result = await d.call(journal, read, *args)
        assert result.StatusCode.value == StatusCodes.BadInvalidArgument
        assert why in result.OutputArguments[0].Value
    assert await d.read_journal(last + 10_000, 10) == []
    assert await d.last_sequence() == last
    assert await d.state() == "Idle"


async def test_dropped_sequences_are_omitted_from_read_journal_only(
    opcua_driver: OpcUaDriver, twin_server: TwinServer
) -> None:
    d = opcua_driver
    twin_server.drop_sequences = parse_sequence_ranges("3-5,8")
    try:
        entries = await d.read_journal(1, 10)
    finally:
        twin_server.drop_sequences = frozenset()
    assert [e["sequence"] for e in entries] == [1, 2, 6, 7, 9, 10]
    assert [e["sequence"] for e in await d.read_journal(1, 10)] == list(range(1, 11))


async def test_twin_serve_paces_the_line_and_stops_cleanly_on_sigterm() -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rempart",
            "twin",
            "serve",
            "--port",
            str(port),
            "--speed",
            "600",
            "--start",
            "2026-01-05T08:00:00+00:00",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert f"opc.tcp://127.0.0.1:{port}/rempart/" in banner, banner
        async with Client(f"opc.tcp://127.0.0.1:{port}/rempart/", timeout=10) as client:
            ns = await client.get_namespace_index("urn:rempart:twin")
            line = await client.nodes.objects.get_child(f"{ns}:FillingLine")
            last = await line.get_child([f"{ns}:Journal", f"{ns}:LastSequence"])
            first = await last.read_value()
            seen = first
            for _ in range(100):  # particle readings arrive while the line idles
                seen = await last.read_value()
                if seen > first + 2:
                    break
                time.sleep(0.1)
            assert seen > first + 2
            journal = await line.get_child(f"{ns}:Journal")
            entries = await journal.call_method(f"{ns}:ReadJournal", 1, 3)
            assert json.loads(entries[0])["data"]["to"] == "Idle"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err
