"""Typed quantities with units: mL, mg, mg/mL, vials, hours.

Quantities of medicine are kept as `Decimal` so that a batch record shows exactly what was
entered (0.1 mL stays 0.1 mL). Arithmetic is only allowed where the units make sense:
mL + mL, mg/mL × mL → mg, mg ÷ mg/mL → mL. Mixing units raises `UnitMismatch`; mypy catches
most of it before that.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Self

from rempart.domain.errors import InvalidValue, UnitMismatch

Number = Decimal | int | str


def to_decimal(value: Number | float, *, field: str = "value") -> Decimal:
    """Convert to Decimal without binary-float noise (0.1 → Decimal('0.1'))."""
    if isinstance(value, bool):
        raise InvalidValue(f"expected a number, got {value!r}", field=field)
    try:
        result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidValue(f"not a number: {value!r}", field=field) from None
    if not result.is_finite():
        raise InvalidValue(f"not a finite number: {value!r}", field=field)
    return result


@dataclass(frozen=True, slots=True)
class _Scalar:
    """A non-negative decimal amount in one unit; subclasses fix the unit."""

    amount: Decimal
    UNIT = ""

    def __init__(self, amount: Number | float) -> None:
        value = to_decimal(amount, field=self.UNIT)
        if value < 0:
            raise InvalidValue(f"must not be negative, got {value}", field=self.UNIT)
        object.__setattr__(self, "amount", value)

    def _same(self, other: object) -> Self:
        if type(other) is not type(self):
            raise UnitMismatch(
                f"cannot combine {type(self).__name__} with {type(other).__name__}",
                field=self.UNIT,
            )
        return other  # type: ignore[return-value]

    def __add__(self, other: Self) -> Self:
        return type(self)(self.amount + self._same(other).amount)

    def __sub__(self, other: Self) -> Self:
        return type(self)(self.amount - self._same(other).amount)

    def __lt__(self, other: Self) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Self) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Self) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Self) -> bool:
        return self.amount >= self._same(other).amount

    def scaled(self, factor: Number | float) -> Self:
        return type(self)(self.amount * to_decimal(factor, field="factor"))

    def __float__(self) -> float:
        return float(self.amount)

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} {self.UNIT}"


class Millilitres(_Scalar):
    """A volume in millilitres."""

    UNIT = "mL"

    def __mul__(self, other: MgPerMl) -> Milligrams:
        if not isinstance(other, MgPerMl):
            raise UnitMismatch("a volume multiplies only by a concentration", field="mL")
        return Milligrams(self.amount * other.amount)


class Milligrams(_Scalar):
    """A mass of active substance in milligrams."""

    UNIT = "mg"

    def __truediv__(self, other: MgPerMl) -> Millilitres:
        if not isinstance(other, MgPerMl):
            raise UnitMismatch("a mass divides only by a concentration", field="mg")
        if other.amount == 0:
            raise InvalidValue("division by a zero concentration", field="mg/mL")
        return Millilitres(self.amount / other.amount)


class MgPerMl(_Scalar):
    """A concentration in milligrams per millilitre."""

    UNIT = "mg/mL"

    def __mul__(self, other: Millilitres) -> Milligrams:
        if not isinstance(other, Millilitres):
            raise UnitMismatch("a concentration multiplies only by a volume", field="mg/mL")
        return Milligrams(self.amount * other.amount)


class Hours(_Scalar):
    """A duration in hours (line time, set-up time)."""

    UNIT = "h"

    @property
    def seconds(self) -> Decimal:
        return self.amount * 3600


@dataclass(frozen=True, slots=True)
class Vials:
    """A whole number of vials."""

    count: int

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int):
            raise InvalidValue(f"a vial count is a whole number, got {self.count!r}", field="vials")
        if self.count < 0:
            raise InvalidValue(f"must not be negative, got {self.count}", field="vials")

    def __add__(self, other: Vials) -> Vials:
        return Vials(self.count + other.count)

    def __sub__(self, other: Vials) -> Vials:
        return Vials(self.count - other.count)

    def __lt__(self, other: Vials) -> bool:
        return self.count < other.count

    def __le__(self, other: Vials) -> bool:
        return self.count <= other.count

    def __str__(self) -> str:
        return f"{self.count} vials"


def ml(amount: Number | float) -> Millilitres:
    return Millilitres(amount)


def mg(amount: Number | float) -> Milligrams:
    return Milligrams(amount)


def mg_per_ml(amount: Number | float) -> MgPerMl:
    return MgPerMl(amount)


def hours(amount: Number | float) -> Hours:
    return Hours(amount)
