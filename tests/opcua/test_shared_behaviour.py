"""The line's behaviours, checked twice: on the twin directly and through OPC UA.

Every test here runs on both paths (`direct`, `opcua`). On the OPC UA path the session's
server is shared, so each test starts by bringing the line back to Idle and uses its own
batch ids.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from rempart.twin.line import FillingLine
from rempart.twin.packml import COMMAND_TRANSITIONS, Command, State
from tests.opcua.conftest import START
from tests.opcua.drivers import DirectDriver, OpcUaDriver, bring_to_idle
from tests.twin.conftest import quiet_params

pytestmark = pytest.mark.asyncio(loop_scope="session")

Driver = DirectDriver | OpcUaDriver
_batch_numbers = itertools.count(1)


def batch_id(path: str) -> str:
    return f"T-{path}-{next(_batch_numbers):04d}"


@pytest_asyncio.fixture(params=["direct", "opcua"], loop_scope="session")
async def driver(
    request: pytest.FixtureRequest, opcua_driver: OpcUaDriver
) -> AsyncIterator[Driver]:
    # The session server exists for both paths (started once); the direct path ignores it.
    if request.param == "direct":
        yield DirectDriver(FillingLine(quiet_params(), seed=5, start=START))
        return
    await bring_to_idle(opcua_driver)
    yield opcua_driver


async def run_until_state(driver: Driver, state: State, step_s: float = 300.0) -> None:
    for _ in range(200):
        if await driver.state() == state:
            return
        await driver.advance(step_s)
    raise AssertionError(f"never reached {state}; in {await driver.state()}")


async def all_entries(driver: Driver, from_sequence: int = 1) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    cursor = from_sequence
    while page := await driver.read_journal(cursor, 250):
        entries += page
        cursor = int(page[-1]["sequence"]) + 1  # type: ignore[call-overload]
    return entries


async def test_start_without_a_batch_is_refused_and_changes_nothing(driver: Driver) -> None:
    last = await driver.last_sequence()
    ok, message = await driver.command("Start")
    assert not ok
    assert "no batch loaded" in message
    assert await driver.state() == "Idle"
    assert await driver.last_sequence() == last


async def test_a_batch_fills_its_quantity_completes_and_resets(driver: Driver) -> None:
    first = await driver.last_sequence() + 1
    bid = batch_id(driver.path)
    ok, message = await driver.load_batch(bid, "ROCU-10-5", "V5", 40)
    assert ok, message
    assert await driver.batch_id() == bid
    assert (await driver.command("Start"))[0]
    assert await driver.state() == "Starting"
    await run_until_state(driver, State.COMPLETE)
    entries = await all_entries(driver, first)
    vials = [e for e in entries if e["kind"] == "vial_processed" and e["batch_id"] == bid]
    assert [v["data"]["vial_sequence"] for v in vials] == list(range(1, 41))  # type: ignore[index]
    kinds = [e["kind"] for e in entries if e["batch_id"] == bid]
    assert kinds[0] == "batch_loaded"
    assert "batch_started" in kinds
    assert "batch_completed" in kinds
    assert (await driver.command("Reset"))[0]
    await run_until_state(driver, State.IDLE, step_s=60)


@pytest.mark.parametrize("target", ["Execute", "Held", "Suspended", "Stopped", "Aborted"])
async def test_every_refused_command_leaves_the_state_and_journal_unchanged(
    driver: Driver, target: str
) -> None:
    assert (await driver.load_batch(batch_id(driver.path), "CISA-2-10", "V10", 5_000))[0]
    assert (await driver.command("Start"))[0]
    await run_until_state(driver, State.EXECUTE)
    leading = {"Held": "Hold", "Suspended": "Suspend", "Stopped": "Stop", "Aborted": "Abort"}
    if target in leading:
        assert (await driver.command(leading[target]))[0]
        await run_until_state(driver, State(target), step_s=60)
    state = State(target)
    last = await driver.last_sequence()
    refused = [c for c in Command if (state, c) not in COMMAND_TRANSITIONS]
    for command in refused:
        ok, message = await driver.command(str(command))
        assert not ok, command
        assert f"{command} refused in state {target}" in message
        assert await driver.state() == target
        assert await driver.last_sequence() == last
    ok, _ = await driver.load_batch(batch_id(driver.path), "ROCU-10-5", "V5", 10)
    assert not ok
    assert await driver.last_sequence() == last


@pytest.mark.parametrize(
    ("product", "vial_format", "quantity", "why"),
    [
        ("ASPIRIN-1", "V5", 10, "ProductCode"),
        ("ROCU-10-5", "V7", 10, "VialFormatCode"),
        ("ROCU-10-5", "V5", 0, "target_quantity"),
        ("CISA-5-30", "V5", 10, "vial_format"),
    ],
)
async def test_a_bad_load_batch_is_refused_with_its_reason(
    driver: Driver, product: str, vial_format: str, quantity: int, why: str
) -> None:
    last = await driver.last_sequence()
    ok, message = await driver.load_batch(batch_id(driver.path), product, vial_format, quantity)
    assert not ok
    assert why in message
    assert await driver.batch_id() == ""
    assert await driver.last_sequence() == last


async def test_hold_suspend_and_abort_follow_packml(driver: Driver) -> None:
    assert (await driver.load_batch(batch_id(driver.path), "ROCU-10-10", "V10", 5_000))[0]
    assert (await driver.command("Start"))[0]
    await run_until_state(driver, State.EXECUTE)
    for pause, resume, paused in (
        ("Hold", "Unhold", State.HELD),
        ("Suspend", "Unsuspend", State.SUSPENDED),
    ):
        assert (await driver.command(pause))[0]
        await run_until_state(driver, paused, step_s=30)
        assert (await driver.command(resume))[0]
        await run_until_state(driver, State.EXECUTE, step_s=30)
    assert (await driver.command("Abort"))[0]
    await run_until_state(driver, State.ABORTED, step_s=30)
    assert await driver.batch_id() == ""
    assert (await driver.command("Clear"))[0]
    await run_until_state(driver, State.STOPPED, step_s=30)
    assert (await driver.command("Reset"))[0]
    await run_until_state(driver, State.IDLE, step_s=30)


async def test_modes_gate_loading_and_starting(driver: Driver) -> None:
    assert (await driver.set_mode("Manual"))[0]
    ok, message = await driver.command("Start")
    assert not ok
    assert "Manual" in message
    ok, message = await driver.load_batch(batch_id(driver.path), "ROCU-10-5", "V5", 10)
    assert not ok
    assert "Production" in message
    ok, message = await driver.set_mode("Turbo")
    assert not ok
    assert "unknown mode" in message
    assert await driver.mode() == "Manual"
    assert (await driver.set_mode("Production"))[0]


async def test_the_journal_reads_back_gap_free_with_particles_every_minute(
    driver: Driver,
) -> None:
    await driver.advance(1_800)
    entries = await all_entries(driver)
    sequences = [int(e["sequence"]) for e in entries]  # type: ignore[call-overload]
    assert sequences == list(range(1, await driver.last_sequence() + 1))
    readings = [e for e in entries if e["kind"] == "particle_reading"]
    assert len(readings) >= 30
    stamps = [str(e["timestamp"]) for e in entries]
    assert stamps == sorted(stamps)
