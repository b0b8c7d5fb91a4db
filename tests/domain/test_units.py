from decimal import Decimal

import pytest

from rempart.domain.errors import InvalidValue, UnitMismatch
from rempart.domain.units import Hours, Milligrams, Millilitres, Vials, hours, mg, mg_per_ml, ml


def test_decimal_keeps_what_was_entered() -> None:
    assert ml(0.1).amount == Decimal("0.1")
    assert str(ml("10.50")) == "10.5 mL"


def test_concentration_times_volume_gives_mass() -> None:
    assert mg_per_ml(5) * ml(30) == mg(150)
    assert ml(30) * mg_per_ml(5) == mg(150)
    assert mg(150) / mg_per_ml(5) == ml(30)


def test_same_units_add_and_compare() -> None:
    assert ml(1) + ml(2) == ml(3)
    assert ml(3) - ml(1) == ml(2)
    assert ml(1) < ml(2)
    assert Vials(3) + Vials(4) == Vials(7)
    assert hours(2).seconds == 7200


def test_different_units_never_mix() -> None:
    with pytest.raises(UnitMismatch):
        ml(1) + mg(1)  # type: ignore[operator]
    with pytest.raises(UnitMismatch):
        ml(1) < Hours(1)  # type: ignore[operator]  # noqa: B015
    assert Millilitres(1) != Milligrams(1)


@pytest.mark.parametrize("bad", [-1, "abc", "nan", float("inf"), True])
def test_bad_amounts_name_the_unit(bad: object) -> None:
    with pytest.raises(InvalidValue) as err:
        ml(bad)  # type: ignore[arg-type]
    assert err.value.field == "mL"


def test_vials_are_whole_and_not_negative() -> None:
    with pytest.raises(InvalidValue):
        Vials(-1)
    with pytest.raises(InvalidValue):
        Vials(1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        Vials(2) - Vials(3)


def test_division_by_zero_concentration_is_refused() -> None:
    with pytest.raises(InvalidValue):
        mg(10) / mg_per_ml(0)
