"""Environmental monitoring limits: EU GMP Annex 1 (2022) as data (DOMAIN.md §5.5).

The table values are the maximum *action* limits. Alert limits are site-specific and come
from trends; they are configured as a versioned `ParticleLimitSet`, never hard-coded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from rempart.domain.errors import InvalidValue


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Occupancy(StrEnum):
    AT_REST = "at_rest"
    IN_OPERATION = "in_operation"


class ParticleSize(StrEnum):
    UM_0_5 = ">=0.5um"
    UM_5 = ">=5um"


class Level(StrEnum):
    OK = "ok"
    ALERT = "alert"
    ACTION = "action"


#: Annex 1 (2022) Table 5: maximum total particles per m³. None: no limit set by the table.
ANNEX1_PARTICLE_LIMITS_PER_M3: Mapping[
    Grade, Mapping[Occupancy, Mapping[ParticleSize, int | None]]
] = {
    Grade.A: {
        Occupancy.AT_REST: {ParticleSize.UM_0_5: 3_520, ParticleSize.UM_5: 29},
        Occupancy.IN_OPERATION: {ParticleSize.UM_0_5: 3_520, ParticleSize.UM_5: 29},
    },
    Grade.B: {
        Occupancy.AT_REST: {ParticleSize.UM_0_5: 3_520, ParticleSize.UM_5: 29},
        Occupancy.IN_OPERATION: {ParticleSize.UM_0_5: 352_000, ParticleSize.UM_5: 2_930},
    },
    Grade.C: {
        Occupancy.AT_REST: {ParticleSize.UM_0_5: 352_000, ParticleSize.UM_5: 2_930},
        Occupancy.IN_OPERATION: {ParticleSize.UM_0_5: 3_520_000, ParticleSize.UM_5: 29_300},
    },
    Grade.D: {
        Occupancy.AT_REST: {ParticleSize.UM_0_5: 3_520_000, ParticleSize.UM_5: 29_300},
        Occupancy.IN_OPERATION: {ParticleSize.UM_0_5: None, ParticleSize.UM_5: None},
    },
}


class ViableSample(StrEnum):
    AIR = "air_cfu_per_m3"
    SETTLE_PLATE = "settle_plate_cfu_per_4h"
    CONTACT_PLATE = "contact_plate_cfu_per_plate"
    GLOVE_PRINT = "glove_print_cfu_per_glove"


#: Annex 1 (2022) Table 6: maximum viable action limits. Grade A: no growth (any CFU acts).
ANNEX1_VIABLE_ACTION_LIMITS: Mapping[Grade, Mapping[ViableSample, int]] = {
    Grade.A: dict.fromkeys(ViableSample, 0),
    Grade.B: {
        ViableSample.AIR: 10,
        ViableSample.SETTLE_PLATE: 5,
        ViableSample.CONTACT_PLATE: 5,
        ViableSample.GLOVE_PRINT: 5,
    },
}


@dataclass(frozen=True, slots=True)
class ParticleLimitSet:
    """A versioned pair of alert and action limits for one grade and occupancy state."""

    version: str
    grade: Grade
    occupancy: Occupancy
    alert_0_5um: int
    action_0_5um: int
    alert_5um: int
    action_5um: int

    def __post_init__(self) -> None:
        table = ANNEX1_PARTICLE_LIMITS_PER_M3[self.grade][self.occupancy]
        for name, alert, action, size in (
            ("0_5um", self.alert_0_5um, self.action_0_5um, ParticleSize.UM_0_5),
            ("5um", self.alert_5um, self.action_5um, ParticleSize.UM_5),
        ):
            if alert < 0 or action < 0:
                raise InvalidValue("limits must not be negative", field=f"alert_{name}")
            if alert > action:
                raise InvalidValue(
                    "an alert limit cannot exceed the action limit", field=f"alert_{name}"
                )
            ceiling = table[size]
            if ceiling is not None and action > ceiling:
                raise InvalidValue(
                    f"action limit {action} exceeds Annex 1 grade {self.grade} ({ceiling}/m³)",
                    field=f"action_{name}",
                )

    def classify(self, count_0_5um: int, count_5um: int) -> Level:
        """The worse level of the two sizes for one reading (counts per m³)."""
        if count_0_5um > self.action_0_5um or count_5um > self.action_5um:
            return Level.ACTION
        if count_0_5um > self.alert_0_5um or count_5um > self.alert_5um:
            return Level.ALERT
        return Level.OK


def annex1_grade_a_limits(version: str = "annex1-2022-default") -> ParticleLimitSet:
    """Grade A in operation with the Annex 1 action limits and conservative alert limits.

    The alert limits here (about 60 % of action for ≥0.5 µm and 10/m³ for ≥5 µm) are a
    starting point for a site without trend data; the site replaces them from its trends.
    """
    return ParticleLimitSet(
        version=version,
        grade=Grade.A,
        occupancy=Occupancy.IN_OPERATION,
        alert_0_5um=2_000,
        action_0_5um=3_520,
        alert_5um=10,
        action_5um=29,
    )


def viable_level(grade: Grade, sample: ViableSample, cfu: int) -> Level:
    """Action when the count exceeds Annex 1's maximum; grade A: any growth is action."""
    if cfu < 0:
        raise InvalidValue("a CFU count cannot be negative", field="cfu")
    limits = ANNEX1_VIABLE_ACTION_LIMITS.get(grade)
    if limits is None:
        raise InvalidValue(f"no viable limits configured for grade {grade}", field="grade")
    return Level.ACTION if cfu > limits[sample] else Level.OK
