"""The grade A environment around the line: particle readings and viable samples.

Particle counts are Poisson draws on the sampled air volume, reported per m³ and classified
with the domain's `ParticleLimitSet` (Annex 1 action limits, site alert limits). Viable
samples are taken per batch; their result is drawn when they are taken but published only
after incubation, as a real laboratory result would be.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rempart.domain.environment import Grade, Level, ViableSample, viable_level
from rempart.twin.params import ParticleParams, ViableParams

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class ParticleReading:
    count_0_5um_per_m3: int
    count_5um_per_m3: int
    excursion: bool
    level: Level

    def to_data(self, params: ParticleParams) -> dict[str, Any]:
        return {
            "location": params.location,
            "count_0_5um_per_m3": self.count_0_5um_per_m3,
            "count_5um_per_m3": self.count_5um_per_m3,
            "sample_volume_l": params.sample_volume_l,
            "level": str(self.level),
            "limit_set_version": params.limits.version,
        }


def read_particles(
    params: ParticleParams, rng: np.random.Generator, *, intervention_active: bool
) -> ParticleReading:
    """One reading of the counter."""
    factor = 1.0
    excursion = bool(rng.random() < params.excursion_probability)
    if excursion:
        factor *= params.excursion_factor
    if intervention_active:
        factor *= params.intervention_factor
    volume_m3 = params.sample_volume_l / 1000.0
    raw_0_5 = int(rng.poisson(params.mean_0_5um_per_m3 * volume_m3 * factor))
    raw_5 = int(rng.poisson(params.mean_5um_per_m3 * volume_m3 * factor))
    # Counters report per m³ from the sampled volume, so one ≥5 µm particle in 28.3 L reads 35/m³.
    per_m3_0_5 = round(raw_0_5 / volume_m3)
    per_m3_5 = round(raw_5 / volume_m3)
    level = params.limits.classify(per_m3_0_5, per_m3_5)
    return ParticleReading(per_m3_0_5, per_m3_5, excursion, level)


@dataclass(frozen=True, slots=True)
class ViableSampleTaken:
    sample_id: str
    sample_type: ViableSample
    location: str
    exposure_s: float
    cfu: int
    result_after_s: float

    def taken_data(self, available_at: str) -> dict[str, Any]:
        return {
            "sample_id": self.sample_id,
            "sample_type": str(self.sample_type),
            "location": self.location,
            "grade": "A",
            "exposure_s": round(self.exposure_s, 3),
            "result_available_at": available_at,
        }

    def result_data(self) -> dict[str, Any]:
        return {
            "sample_id": self.sample_id,
            "sample_type": str(self.sample_type),
            "cfu": self.cfu,
            "level": str(viable_level(Grade.A, self.sample_type, self.cfu)),
        }


def take_viable_samples(
    params: ViableParams,
    rng: np.random.Generator,
    *,
    batch_id: str,
    exposure_s: float,
    glove_ports: list[str],
) -> list[ViableSampleTaken]:
    """Settle plates per location for the filling time, and one glove print per port used."""
    plates = max(1, math.ceil(exposure_s / (params.settle_plate_exposure_h * 3600.0)))
    specs: list[tuple[str, ViableSample, str, float]] = []
    for location in params.settle_plate_locations:
        remaining = exposure_s
        for _ in range(plates):
            this = min(remaining, params.settle_plate_exposure_h * 3600.0)
            remaining -= this
            specs.append((f"SP{len(specs) + 1:02d}", ViableSample.SETTLE_PLATE, location, this))
    for port in sorted(glove_ports):
        specs.append((f"GL-{port}", ViableSample.GLOVE_PRINT, f"glove port {port}", 0.0))
    samples = []
    for suffix, kind, location, exposure in specs:
        contaminated = bool(rng.random() < params.contamination_probability)
        cfu = int(1 + rng.poisson(0.5)) if contaminated else 0
        days = rng.uniform(params.incubation_min_days, params.incubation_max_days)
        samples.append(
            ViableSampleTaken(
                sample_id=f"{batch_id}-{suffix}",
                sample_type=kind,
                location=location,
                exposure_s=exposure,
                cfu=cfu,
                result_after_s=round(float(days) * SECONDS_PER_DAY, 3),
            )
        )
    return samples
