"""The PackML state model (ISA-TR88.00.02) of the line, as transition tables.

The tables are the only place that decides what a command does; `PackMLMachine` applies them
and refuses, with `CommandRefused`, anything they do not allow, leaving its state untouched.
State and mode numbers are those of PackML and of OPC 30050, so an OPC UA client that knows
PackML reads `StateCurrent = 6` as Execute.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from rempart.twin.errors import CommandRefused


class State(StrEnum):
    CLEARING = "Clearing"
    STOPPED = "Stopped"
    STARTING = "Starting"
    IDLE = "Idle"
    SUSPENDED = "Suspended"
    EXECUTE = "Execute"
    STOPPING = "Stopping"
    ABORTING = "Aborting"
    ABORTED = "Aborted"
    HOLDING = "Holding"
    HELD = "Held"
    UNHOLDING = "Unholding"
    SUSPENDING = "Suspending"
    UNSUSPENDING = "Unsuspending"
    RESETTING = "Resetting"
    COMPLETING = "Completing"
    COMPLETE = "Complete"


class Command(StrEnum):
    RESET = "Reset"
    START = "Start"
    STOP = "Stop"
    HOLD = "Hold"
    UNHOLD = "Unhold"
    SUSPEND = "Suspend"
    UNSUSPEND = "Unsuspend"
    ABORT = "Abort"
    CLEAR = "Clear"


class Mode(StrEnum):
    PRODUCTION = "Production"
    MAINTENANCE = "Maintenance"
    MANUAL = "Manual"


#: PackML state numbers (ISA-TR88.00.02 and OPC 30050 `StateCurrent`).
STATE_NUMBERS: Mapping[State, int] = {
    State.CLEARING: 1,
    State.STOPPED: 2,
    State.STARTING: 3,
    State.IDLE: 4,
    State.SUSPENDED: 5,
    State.EXECUTE: 6,
    State.STOPPING: 7,
    State.ABORTING: 8,
    State.ABORTED: 9,
    State.HOLDING: 10,
    State.HELD: 11,
    State.UNHOLDING: 12,
    State.SUSPENDING: 13,
    State.UNSUSPENDING: 14,
    State.RESETTING: 15,
    State.COMPLETING: 16,
    State.COMPLETE: 17,
}

#: PackML unit mode numbers (`UnitModeCurrent`).
MODE_NUMBERS: Mapping[Mode, int] = {Mode.PRODUCTION: 1, Mode.MAINTENANCE: 2, Mode.MANUAL: 3}

_STOPPABLE = frozenset(
    {
        State.IDLE,
        State.STARTING,
        State.EXECUTE,
        State.COMPLETING,
        State.COMPLETE,
        State.RESETTING,
        State.HOLDING,
        State.HELD,
        State.UNHOLDING,
        State.SUSPENDING,
        State.SUSPENDED,
        State.UNSUSPENDING,
    }
)
_ABORTABLE = frozenset(State) - {State.ABORTING, State.ABORTED}

#: (state, command) → the acting state the command starts.
COMMAND_TRANSITIONS: Mapping[tuple[State, Command], State] = {
    (State.IDLE, Command.START): State.STARTING,
    (State.COMPLETE, Command.RESET): State.RESETTING,
    (State.STOPPED, Command.RESET): State.RESETTING,
    (State.EXECUTE, Command.HOLD): State.HOLDING,
    (State.HELD, Command.UNHOLD): State.UNHOLDING,
    (State.EXECUTE, Command.SUSPEND): State.SUSPENDING,
    (State.SUSPENDED, Command.UNSUSPEND): State.UNSUSPENDING,
    (State.ABORTED, Command.CLEAR): State.CLEARING,
    **{(state, Command.STOP): State.STOPPING for state in _STOPPABLE},
    **{(state, Command.ABORT): State.ABORTING for state in _ABORTABLE},
}

#: Acting state → the state it reaches when its work is done ("state complete", SC).
STATE_COMPLETE: Mapping[State, State] = {
    State.STARTING: State.EXECUTE,
    State.COMPLETING: State.COMPLETE,
    State.RESETTING: State.IDLE,
    State.HOLDING: State.HELD,
    State.UNHOLDING: State.EXECUTE,
    State.SUSPENDING: State.SUSPENDED,
    State.UNSUSPENDING: State.EXECUTE,
    State.STOPPING: State.STOPPED,
    State.ABORTING: State.ABORTED,
    State.CLEARING: State.STOPPED,
}

ACTING_STATES = frozenset(STATE_COMPLETE) | {State.EXECUTE}
WAIT_STATES = frozenset(State) - ACTING_STATES

#: Commands a mode disables. Maintenance runs the line dry (no vials, no Suspend: there is
#: no upstream or downstream to wait for); Manual only jogs devices, so nothing starts.
MODE_DISABLED_COMMANDS: Mapping[Mode, frozenset[Command]] = {
    Mode.PRODUCTION: frozenset(),
    Mode.MAINTENANCE: frozenset({Command.SUSPEND, Command.UNSUSPEND}),
    Mode.MANUAL: frozenset(
        {Command.START, Command.HOLD, Command.UNHOLD, Command.SUSPEND, Command.UNSUSPEND}
    ),
}

#: A mode may change only where nothing is moving (PackML leaves the choice to the machine).
MODE_CHANGE_STATES = frozenset({State.IDLE, State.STOPPED, State.ABORTED})


def commands_allowed(state: State, mode: Mode) -> frozenset[Command]:
    """The commands that would be accepted now: what an HMI would enable."""
    return frozenset(
        command
        for (source, command) in COMMAND_TRANSITIONS
        if source is state and command not in MODE_DISABLED_COMMANDS[mode]
    )


class PackMLMachine:
    """The state and mode of the line; `apply` and `complete` are the only ways to move."""

    def __init__(self, state: State = State.IDLE, mode: Mode = Mode.PRODUCTION) -> None:
        self.state = state
        self.mode = mode

    def target_of(self, command: Command) -> State:
        """The state `command` would lead to, or `CommandRefused` (nothing changes)."""
        if command in MODE_DISABLED_COMMANDS[self.mode]:
            raise CommandRefused(command, self.state, f"not available in {self.mode} mode")
        target = COMMAND_TRANSITIONS.get((self.state, command))
        if target is None:
            allowed = ", ".join(sorted(commands_allowed(self.state, self.mode))) or "none"
            raise CommandRefused(command, self.state, f"allowed commands: {allowed}")
        return target

    def apply(self, command: Command) -> State:
        self.state = self.target_of(command)
        return self.state

    def complete(self) -> State:
        """The acting state's work is done: move on (Execute completes into Completing)."""
        if self.state is State.EXECUTE:
            self.state = State.COMPLETING
            return self.state
        nxt = STATE_COMPLETE.get(self.state)
        if nxt is None:
            raise CommandRefused("StateComplete", self.state, "a wait state has nothing to do")
        self.state = nxt
        return self.state

    def check_mode_change(self, mode: Mode) -> None:
        if self.state not in MODE_CHANGE_STATES:
            allowed = ", ".join(sorted(MODE_CHANGE_STATES))
            raise CommandRefused(f"SetUnitMode({mode})", self.state, f"only in {allowed}")
