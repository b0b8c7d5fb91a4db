"""The PackML tables: every state reachable, every command outside the table refused."""

from __future__ import annotations

import itertools

import pytest

from rempart.twin.errors import CommandRefused
from rempart.twin.packml import (
    ACTING_STATES,
    COMMAND_TRANSITIONS,
    MODE_CHANGE_STATES,
    STATE_COMPLETE,
    STATE_NUMBERS,
    Command,
    Mode,
    PackMLMachine,
    State,
    commands_allowed,
)


def test_the_seventeen_isa_tr88_states_with_their_packml_numbers() -> None:
    assert len(State) == 17
    assert sorted(STATE_NUMBERS.values()) == list(range(1, 18))
    assert STATE_NUMBERS[State.EXECUTE] == 6
    assert STATE_NUMBERS[State.IDLE] == 4


def test_every_state_is_reachable_from_idle() -> None:
    reached = {State.IDLE}
    frontier = [State.IDLE]
    while frontier:
        state = frontier.pop()
        nexts = {t for (s, _c), t in COMMAND_TRANSITIONS.items() if s is state}
        nexts |= {STATE_COMPLETE[state]} if state in STATE_COMPLETE else set()
        nexts |= {State.COMPLETING} if state is State.EXECUTE else set()
        for nxt in nexts - reached:
            reached.add(nxt)
            frontier.append(nxt)
    assert reached == set(State)


@pytest.mark.parametrize(("state", "command"), list(itertools.product(State, Command)))
def test_a_command_outside_the_table_is_refused_and_changes_nothing(
    state: State, command: Command
) -> None:
    machine = PackMLMachine(state, Mode.PRODUCTION)
    if (state, command) in COMMAND_TRANSITIONS:
        assert machine.apply(command) is COMMAND_TRANSITIONS[(state, command)]
        return
    with pytest.raises(CommandRefused) as refused:
        machine.apply(command)
    assert machine.state is state
    assert refused.value.command == command
    assert str(state) in str(refused.value)


def test_abort_is_accepted_everywhere_but_while_aborting_or_aborted() -> None:
    for state in State:
        allowed = Command.ABORT in commands_allowed(state, Mode.PRODUCTION)
        assert allowed is (state not in (State.ABORTING, State.ABORTED))


def test_acting_states_complete_into_the_next_state() -> None:
    machine = PackMLMachine(State.STARTING)
    assert machine.complete() is State.EXECUTE
    assert machine.complete() is State.COMPLETING
    assert machine.complete() is State.COMPLETE
    with pytest.raises(CommandRefused):
        machine.complete()
    assert State.EXECUTE in ACTING_STATES


def test_manual_mode_refuses_start_and_maintenance_refuses_suspend() -> None:
    manual = PackMLMachine(State.IDLE, Mode.MANUAL)
    with pytest.raises(CommandRefused, match="Manual"):
        manual.apply(Command.START)
    maintenance = PackMLMachine(State.EXECUTE, Mode.MAINTENANCE)
    with pytest.raises(CommandRefused, match="Maintenance"):
        maintenance.apply(Command.SUSPEND)
    assert maintenance.apply(Command.HOLD) is State.HOLDING


def test_the_mode_changes_only_at_rest() -> None:
    for state in State:
        machine = PackMLMachine(state)
        if state in MODE_CHANGE_STATES:
            machine.check_mode_change(Mode.MAINTENANCE)
        else:
            with pytest.raises(CommandRefused):
                machine.check_mode_change(Mode.MAINTENANCE)
