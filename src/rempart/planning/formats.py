"""The line's vial format from one period to the next: the fewest format changes a plan needs.

A period that fills the vial formats U makes |U| changes, minus one when it starts by filling
the format the line is already set up for (carried in from the last period that filled, or
given before period 0). It ends in one of the formats it fills, and in the carried one only if
it fills no other or pays the change back to it. A period that fills nothing keeps the line's
format. When the problem allows it (`prepare_next_format`), a period may also end with one
more change, made after its lots without filling: it sets the line up for a format a later
period fills first (a Friday change for Monday's lots).
These are the rules of the model's format rows (format_rows.py); this
module finds, by dynamic programming over the line's format, a sequence that fits each
period's spare hours with the fewest changes. The feasibility check (check.py), the
compaction start (compact.py) and the replay use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rempart.planning.problem import PlanningProblem

#: Hours of slack allowed when a period's format changes are fitted into its spare hours.
EPS_HOURS = 1e-6


@dataclass(frozen=True, slots=True)
class FormatStep:
    """One period: the format filled first without a change (if any), the format the line
    ends in (None: unknown, before any filling), and the changes made. `prepared` is True
    when the last change sets up `end` after the period's lots, without filling it."""

    carried: str | None
    end: str | None
    changes: int
    prepared: bool = False


def period_changes(used: set[str], start: str | None) -> int:
    """Format changes of a period that fills `used`, starting in format `start`."""
    if not used:
        return 0
    return len(used) - (1 if start in used else 0)


def line_format_steps(
    problem: PlanningProblem, used: Sequence[set[str]], spare_hours: Sequence[float]
) -> list[FormatStep] | None:
    """`fewest_changes` for a problem: its formats, initial format and change hours."""
    formats = {product.vial_format for product in problem.products}
    initial, change = problem.initial_vial_format, problem.format_change_hours
    return fewest_changes(used, initial, formats, spare_hours, change, problem.prepare_next_format)


def _options(fills: set[str], state: str | None) -> list[tuple[str | None, int, list[str | None]]]:
    """(format carried, changes, possible end formats) for a period started in `state`."""
    if not fills:
        return [(None, 0, [state])]
    every: list[str | None] = [*sorted(fills)]
    if state in fills:
        if len(fills) == 1:
            return [(state, 0, [state])]
        others: list[str | None] = [f for f in sorted(fills) if f != state]
        # Start with the format carried in, or leave it and come back to it at the end.
        return [(state, len(fills) - 1, others), (None, len(fills), every)]
    return [(None, len(fills), every)]


def _steps(
    fills: set[str], state: str | None, formats: set[str], prepare: bool
) -> list[FormatStep]:
    """Every step a period that fills `fills` can make from `state`, with the preparations if
    `prepare`."""
    steps: list[FormatStep] = []
    for carried, changes, ends in _options(fills, state):
        steps.extend(FormatStep(carried, end, changes) for end in ends)
        if prepare:
            # One more change after the lots sets up any other format for the next period.
            steps.extend(
                FormatStep(carried, f, changes + 1, prepared=True)
                for f in sorted(formats)
                if f not in ends
            )
    return steps


def fewest_changes(
    used: Sequence[set[str]],
    initial: str | None,
    formats: set[str],
    spare_hours: Sequence[float] | None = None,
    change_hours: float = 0.0,
    prepare: bool = False,
) -> list[FormatStep] | None:
    """The steps with the fewest changes in total such that each period's changes fit its
    `spare_hours` (hours left after filling and setups), or None if no sequence fits.

    `initial` None means the line's format before period 0 is unknown: any of `formats`.
    `prepare` allows a change after a period's lots, without filling (a preparation).
    Among sequences with the fewest changes, the one with the fewest changes made without
    filling (preparations) wins; further ties go to the sequence found first (formats in
    sorted order), so the result is stable.
    """
    starts: list[str | None] = [initial] if initial is not None else [None, *sorted(formats)]
    # cost[state] = (fewest changes, then preparations) so far;
    # back[t][end] = (state before t, the step of t).
    cost: dict[str | None, tuple[int, int]] = dict.fromkeys(starts, (0, 0))
    back: list[dict[str | None, tuple[str | None, FormatStep]]] = []
    for t, fills in enumerate(used):
        nxt: dict[str | None, tuple[int, int]] = {}
        links: dict[str | None, tuple[str | None, FormatStep]] = {}
        for state, (total, prepared) in cost.items():
            for step in _steps(fills, state, formats, prepare):
                if (
                    spare_hours is not None
                    and step.changes * change_hours > spare_hours[t] + EPS_HOURS
                ):
                    continue
                reached = (total + step.changes, prepared + step.prepared)
                if step.end not in nxt or reached < nxt[step.end]:
                    nxt[step.end] = reached
                    links[step.end] = (state, step)
        if not nxt:
            return None
        cost = nxt
        back.append(links)
    state = min(cost, key=lambda s: cost[s])  # the first of the fewest, in insertion order
    steps: list[FormatStep] = []
    for links in reversed(back):
        state, step = links[state]
        steps.append(step)
    return steps[::-1]
