"""The line's vial format from one period to the next: the fewest format changes a plan needs.

A period that fills the vial formats U makes |U| changes, minus one when it starts by filling
the format the line is already set up for (carried in from the last period that filled, or
given before period 0). It ends in one of the formats it fills, and in the carried one only if
it fills no other or pays the change back to it. A period that fills nothing keeps the line's
format. These are the rules of the model's format rows (model.py); this
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
    ends in (None: unknown, before any filling), and the changes made."""

    carried: str | None
    end: str | None
    changes: int


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
    return fewest_changes(used, initial, formats, spare_hours, change)


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


def fewest_changes(
    used: Sequence[set[str]],
    initial: str | None,
    formats: set[str],
    spare_hours: Sequence[float] | None = None,
    change_hours: float = 0.0,
) -> list[FormatStep] | None:
    """The steps with the fewest changes in total such that each period's changes fit its
    `spare_hours` (hours left after filling and setups), or None if no sequence fits.

    `initial` None means the line's format before period 0 is unknown: any of `formats`.
    Ties go to the sequence found first (formats in sorted order), so the result is stable.
    """
    starts: list[str | None] = [initial] if initial is not None else [None, *sorted(formats)]
    # cost[state] = fewest changes so far; back[t][end] = (state before t, the step of t).
    cost: dict[str | None, int] = dict.fromkeys(starts, 0)
    back: list[dict[str | None, tuple[str | None, FormatStep]]] = []
    for t, fills in enumerate(used):
        nxt: dict[str | None, int] = {}
        links: dict[str | None, tuple[str | None, FormatStep]] = {}
        for state, total in cost.items():
            for carried, changes, ends in _options(fills, state):
                if spare_hours is not None and changes * change_hours > spare_hours[t] + EPS_HOURS:
                    continue
                for end in ends:
                    if end not in nxt or total + changes < nxt[end]:
                        nxt[end] = total + changes
                        links[end] = (state, FormatStep(carried, end, changes))
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
