"""Named errors of the twin. Each says what was refused and why, and changes nothing."""

from __future__ import annotations

from rempart.domain.errors import DomainError


class TwinError(DomainError):
    """Something asked of the twin cannot be done."""


class CommandRefused(TwinError):
    """A PackML command (or a batch load) that is not valid in the line's current state.

    The line's state, mode, batch and journal are exactly as they were before the call.
    """

    def __init__(self, command: str, state: str, reason: str) -> None:
        self.command = command
        self.state = state
        self.reason = reason
        super().__init__(f"{command} refused in state {state}: {reason}")
        self.field = "command"


class ScenarioError(TwinError):
    """A scenario file is unreadable or invalid; the message names the file and the key."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}")
        self.field = key
