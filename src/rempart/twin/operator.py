"""The simulated operator of a headless scenario: shifts, batches one after another, VHP.

It only uses what a real operator (or the MES over OPC UA) would: `load_batch`, PackML
commands and decontamination cycles, at the simulated time they happen. The served line has
no such operator: its clients drive it.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import Any

from rempart.domain.products import Product, VialFormat
from rempart.twin.journal import Kind
from rempart.twin.line import FillingLine
from rempart.twin.packml import Command, State
from rempart.twin.shifts import ShiftCalendar

SimGen = Generator[Any, Any, None]


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """One batch of the plan; `vial_format` defaults to the product's own."""

    product: Product
    vial_format: VialFormat
    quantity: int


@dataclass(frozen=True, slots=True)
class OperatorPlan:
    orders: tuple[OrderSpec, ...]
    #: Start again from the first order when the list is done (campaigns, crisis).
    repeat: bool = False
    batch_prefix: str = "B"


class ScenarioOperator:
    """Drives a `FillingLine` through a plan within a shift calendar."""

    def __init__(self, line: FillingLine, plan: OperatorPlan, calendar: ShiftCalendar) -> None:
        self.line = line
        self.plan = plan
        self.calendar = calendar
        line.staffed = calendar.staffed
        line.env.process(self._shifts())
        line.env.process(self._drive())

    def _wait_for(self, states: Iterable[State]) -> SimGen:
        wanted = frozenset(states)
        while self.line.state not in wanted:
            yield self.line.state_changed()

    def _shifts(self) -> SimGen:
        line = self.line
        boundaries: list[tuple[float, int, str]] = []
        for window in self.calendar.windows:
            if window.start_s >= 0:
                boundaries.append((window.start_s, 1, window.shift))
            boundaries.append((window.end_s, 0, window.shift))
        for at_s, starts, name in sorted(boundaries):
            if at_s > line.now_s:
                yield line.env.timeout(at_s - line.now_s)
            if starts:
                line.record(Kind.SHIFT_STARTED, {"shift": name})
                if line.state is State.HELD and line.hold_cause == "shift_end":
                    line.command(Command.UNHOLD, reason="shift started")
            else:
                line.record(Kind.SHIFT_ENDED, {"shift": name})
                if line.state is State.EXECUTE and not self.calendar.staffed(line.now_s):
                    line.hold("shift_end")

    def _orders(self) -> Iterable[OrderSpec]:
        return itertools.cycle(self.plan.orders) if self.plan.repeat else self.plan.orders

    def _drive(self) -> SimGen:
        line = self.line
        for number, spec in enumerate(self._orders(), start=1):
            while True:
                yield from self._wait_for({State.IDLE})
                now = line.now_s
                if line.losses.decontamination_due_s <= now:
                    yield line.start_decontamination()
                    continue
                if self.calendar.staffed(now):
                    break
                wake = [line.losses.decontamination_due_s]
                next_shift = self.calendar.next_start_after(now)
                if next_shift is not None:
                    wake.append(next_shift)
                yield line.env.timeout(min(wake) - now)
            batch_id = f"{self.plan.batch_prefix}-{number:03d}"
            line.load_batch(batch_id, spec.product, spec.vial_format, spec.quantity)
            line.command(Command.START)
            yield from self._wait_for({State.COMPLETE, State.STOPPED, State.ABORTED})
            if line.state is State.ABORTED:
                line.command(Command.CLEAR)
                yield from self._wait_for({State.STOPPED})
            line.command(Command.RESET)
