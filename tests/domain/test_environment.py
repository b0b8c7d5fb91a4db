import pytest

from rempart.domain.environment import (
    ANNEX1_PARTICLE_LIMITS_PER_M3,
    Grade,
    Level,
    Occupancy,
    ParticleLimitSet,
    ParticleSize,
    ViableSample,
    annex1_grade_a_limits,
    viable_level,
)
from rempart.domain.errors import InvalidValue


def test_annex1_grade_a_values() -> None:
    grade_a = ANNEX1_PARTICLE_LIMITS_PER_M3[Grade.A][Occupancy.IN_OPERATION]
    assert grade_a[ParticleSize.UM_0_5] == 3_520
    assert grade_a[ParticleSize.UM_5] == 29  # not the 2008 value of 20


@pytest.mark.parametrize(
    ("c05", "c5", "level"),
    [
        (0, 0, Level.OK),
        (2_000, 10, Level.OK),
        (2_001, 0, Level.ALERT),
        (0, 11, Level.ALERT),
        (3_520, 29, Level.ALERT),
        (3_521, 0, Level.ACTION),
        (0, 30, Level.ACTION),
    ],
)
def test_classify(c05: int, c5: int, level: Level) -> None:
    assert annex1_grade_a_limits().classify(c05, c5) is level


def test_site_limits_cannot_exceed_annex1() -> None:
    with pytest.raises(InvalidValue) as err:
        ParticleLimitSet("v2", Grade.A, Occupancy.IN_OPERATION, 2000, 4000, 10, 29)
    assert err.value.field == "action_0_5um"
    with pytest.raises(InvalidValue) as err:
        ParticleLimitSet("v2", Grade.A, Occupancy.IN_OPERATION, 2000, 3000, 30, 29)
    assert err.value.field == "alert_5um"


def test_grade_a_viable_no_growth() -> None:
    assert viable_level(Grade.A, ViableSample.GLOVE_PRINT, 0) is Level.OK
    assert viable_level(Grade.A, ViableSample.SETTLE_PLATE, 1) is Level.ACTION
    assert viable_level(Grade.B, ViableSample.AIR, 10) is Level.OK
    assert viable_level(Grade.B, ViableSample.AIR, 11) is Level.ACTION
    with pytest.raises(InvalidValue):
        viable_level(Grade.C, ViableSample.AIR, 1)
