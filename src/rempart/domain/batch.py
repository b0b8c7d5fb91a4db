"""The batch lifecycle as a transition table (DOMAIN.md §5.2).

PLANNED → SCHEDULED → LINE_CLEARANCE → FILLING → FILLED → QUARANTINE → UNDER_REVIEW →
RELEASED | REJECTED, plus ON_HOLD (from any live state, with a reason, back to where it was
held from or to REJECTED), RECALLED and EXPIRED from RELEASED, and CANCELLED for a batch
that never reached the line. Transitions are events, never edits: the table is the single
source for the services, the buttons a form shows and the database check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from rempart.domain.errors import InvalidTransition


class BatchState(StrEnum):
    PLANNED = "planned"
    SCHEDULED = "scheduled"
    LINE_CLEARANCE = "line_clearance"
    FILLING = "filling"
    FILLED = "filled"
    QUARANTINE = "quarantine"
    UNDER_REVIEW = "under_review"
    RELEASED = "released"
    REJECTED = "rejected"
    ON_HOLD = "on_hold"
    RECALLED = "recalled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


S = BatchState

#: Where each state may go next. ON_HOLD's exits are narrowed by `held_from` in `transition`.
TRANSITIONS: Mapping[BatchState, frozenset[BatchState]] = {
    S.PLANNED: frozenset({S.SCHEDULED, S.ON_HOLD, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.LINE_CLEARANCE, S.PLANNED, S.ON_HOLD, S.CANCELLED}),
    S.LINE_CLEARANCE: frozenset({S.FILLING, S.SCHEDULED, S.ON_HOLD, S.CANCELLED}),
    S.FILLING: frozenset({S.FILLED, S.ON_HOLD}),
    S.FILLED: frozenset({S.QUARANTINE, S.ON_HOLD}),
    S.QUARANTINE: frozenset({S.UNDER_REVIEW, S.ON_HOLD, S.REJECTED}),
    S.UNDER_REVIEW: frozenset({S.RELEASED, S.REJECTED, S.QUARANTINE, S.ON_HOLD}),
    S.RELEASED: frozenset({S.RECALLED, S.EXPIRED, S.ON_HOLD}),
    S.ON_HOLD: frozenset(
        {
            S.PLANNED,
            S.SCHEDULED,
            S.LINE_CLEARANCE,
            S.FILLING,
            S.FILLED,
            S.QUARANTINE,
            S.UNDER_REVIEW,
            S.RELEASED,
            S.REJECTED,
        }
    ),
    S.REJECTED: frozenset(),
    S.RECALLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CANCELLED: frozenset(),
}

TERMINAL_STATES = frozenset(state for state, exits in TRANSITIONS.items() if not exits)

#: Entering these states is a decision someone must explain.
REASON_REQUIRED = frozenset({S.ON_HOLD, S.REJECTED, S.RECALLED, S.CANCELLED})

#: Only released stock may be allocated, picked or shipped (§5.2 rule 1).
PICKABLE_STATES = frozenset({S.RELEASED})


@dataclass(frozen=True, slots=True)
class Transition:
    """A permitted move, with the reason that was given for it."""

    source: BatchState
    target: BatchState
    reason: str


def allowed_targets(
    current: BatchState, *, held_from: BatchState | None = None
) -> frozenset[BatchState]:
    """The states reachable from `current` (what buttons a screen should offer)."""
    if current is S.ON_HOLD:
        if held_from is None:
            return frozenset()
        return frozenset({held_from, S.REJECTED}) & TRANSITIONS[S.ON_HOLD]
    return TRANSITIONS[current]


def transition(
    current: BatchState,
    target: BatchState,
    *,
    reason: str = "",
    held_from: BatchState | None = None,
) -> Transition:
    """Check one move of the lifecycle and return it, or raise `InvalidTransition`.

    A batch leaving ON_HOLD needs `held_from` (the state it was held in): it goes back there
    or is rejected. Entering ON_HOLD, REJECTED, RECALLED or CANCELLED, and leaving ON_HOLD,
    need a reason.
    """
    current = BatchState(current)
    target = BatchState(target)
    if current in TERMINAL_STATES:
        raise InvalidTransition(current, target, f"{current} is a final state")
    if current is S.ON_HOLD and held_from is None:
        raise InvalidTransition(current, target, "the state the batch was held from is unknown")
    if target not in allowed_targets(current, held_from=held_from):
        if current is S.ON_HOLD:
            why = f"a held batch returns to {held_from} or is rejected"
        else:
            options = ", ".join(sorted(TRANSITIONS[current])) or "none"
            why = f"allowed from {current}: {options}"
        raise InvalidTransition(current, target, why)
    needs_reason = target in REASON_REQUIRED or current is S.ON_HOLD
    if needs_reason and not reason.strip():
        raise InvalidTransition(current, target, "a reason is required")
    return Transition(current, target, reason.strip())
