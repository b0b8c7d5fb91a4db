"""Named errors of the domain. Each names the field or item at fault."""

from __future__ import annotations


class DomainError(ValueError):
    """A rule of the domain was broken. `field` names what is at fault, when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class InvalidValue(DomainError):
    """A value is outside what the domain allows (a negative volume, a 60 mL vial...)."""


class UnitMismatch(DomainError):
    """Two quantities of different units were combined."""


class InvalidTransition(DomainError):
    """A lifecycle transition that the transition table does not allow."""

    def __init__(self, current: str, target: str, reason: str) -> None:
        self.current = current
        self.target = target
        super().__init__(f"cannot go from {current} to {target}: {reason}", field="state")
