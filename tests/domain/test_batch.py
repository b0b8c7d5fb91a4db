"""Every transition of the batch lifecycle, allowed and refused."""

import itertools

import pytest

from rempart.domain.batch import (
    REASON_REQUIRED,
    TERMINAL_STATES,
    TRANSITIONS,
    BatchState,
    allowed_targets,
    transition,
)
from rempart.domain.errors import InvalidTransition

S = BatchState
ALLOWED = [
    (src, dst) for src, targets in TRANSITIONS.items() if src is not S.ON_HOLD for dst in targets
]
REFUSED = [
    (src, dst)
    for src, dst in itertools.product(S, S)
    if src is not S.ON_HOLD and dst not in TRANSITIONS[src]
]


def test_table_covers_every_state() -> None:
    assert set(TRANSITIONS) == set(BatchState)
    assert {S.REJECTED, S.RECALLED, S.EXPIRED, S.CANCELLED} == TERMINAL_STATES


@pytest.mark.parametrize(("src", "dst"), ALLOWED)
def test_allowed(src: BatchState, dst: BatchState) -> None:
    reason = "deviation DEV-1 under investigation" if dst in REASON_REQUIRED else ""
    move = transition(src, dst, reason=reason)
    assert (move.source, move.target) == (src, dst)


@pytest.mark.parametrize(("src", "dst"), REFUSED)
def test_refused(src: BatchState, dst: BatchState) -> None:
    with pytest.raises(InvalidTransition) as err:
        transition(src, dst, reason="any reason")
    assert err.value.field == "state"
    assert str(src) in str(err.value)


@pytest.mark.parametrize("dst", sorted(REASON_REQUIRED - {S.EXPIRED}))
def test_reason_required(dst: BatchState) -> None:
    src = next(s for s, targets in TRANSITIONS.items() if dst in targets and s is not S.ON_HOLD)
    with pytest.raises(InvalidTransition, match="reason"):
        transition(src, dst, reason="  ")


@pytest.mark.parametrize("held_from", sorted(TRANSITIONS[S.ON_HOLD] - {S.REJECTED}))
def test_hold_returns_to_where_it_was_held_from(held_from: BatchState) -> None:
    transition(held_from, S.ON_HOLD, reason="EM excursion")
    assert (
        transition(S.ON_HOLD, held_from, reason="closed", held_from=held_from).target is held_from
    )
    assert transition(S.ON_HOLD, S.REJECTED, reason="bad", held_from=held_from).target is S.REJECTED
    for other in set(BatchState) - {held_from, S.REJECTED}:
        with pytest.raises(InvalidTransition):
            transition(S.ON_HOLD, other, reason="x", held_from=held_from)
    assert allowed_targets(S.ON_HOLD, held_from=held_from) == {held_from, S.REJECTED}


def test_leaving_hold_needs_origin_and_reason() -> None:
    with pytest.raises(InvalidTransition, match="held from"):
        transition(S.ON_HOLD, S.FILLED, reason="x")
    with pytest.raises(InvalidTransition, match="reason"):
        transition(S.ON_HOLD, S.FILLED, held_from=S.FILLED)
    assert allowed_targets(S.ON_HOLD) == frozenset()


def test_terminal_states_go_nowhere() -> None:
    for state in TERMINAL_STATES:
        with pytest.raises(InvalidTransition, match="final"):
            transition(state, S.PLANNED, reason="x")


def test_unknown_state_string_is_refused() -> None:
    with pytest.raises(ValueError, match="nonsense"):
        transition("nonsense", S.PLANNED)  # type: ignore[arg-type]
