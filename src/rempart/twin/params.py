"""Parameters of the line: one frozen dataclass per station and per loss, units in names.

Every number here is an assumption (DOMAIN.md §11: the machine's real figures are not
published); scenarios override any of them. A station's `fault_mtbf_h` is mean Execute time
between its faults (`inf` turns them off) and `fault_mttr_min` the mean repair time; a fault
holds the line and is repaired through the station's glove port (a corrective intervention).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rempart.domain.environment import ParticleLimitSet, annex1_grade_a_limits
from rempart.domain.errors import InvalidValue


def _check_positive(owner: object, *names: str) -> None:
    for name in names:
        if not getattr(owner, name) > 0:
            raise InvalidValue("must be greater than 0", field=name)


def _check_not_negative(owner: object, *names: str) -> None:
    for name in names:
        if getattr(owner, name) < 0:
            raise InvalidValue("must not be negative", field=name)


def _check_probability(owner: object, *names: str) -> None:
    for name in names:
        if not 0.0 <= getattr(owner, name) <= 1.0:
            raise InvalidValue("a probability lies between 0 and 1", field=name)


@dataclass(frozen=True, slots=True)
class FaultParams:
    """How often a station stops the line, and how long its repair takes."""

    fault_code: str
    fault_mtbf_h: float = math.inf
    fault_mttr_min: float = 10.0
    glove_port: str = "GP1"

    def __post_init__(self) -> None:
        _check_positive(self, "fault_mtbf_h", "fault_mttr_min")

    @property
    def enabled(self) -> bool:
        return math.isfinite(self.fault_mtbf_h)


@dataclass(frozen=True, slots=True)
class InfeedParams:
    """Station 1: sterile closed vials enter the barrier in tubs (nests)."""

    cycle_time_s: float = 4.0
    vials_per_tub: int = 100
    #: Opening and feeding the next tub pauses the line: a speed (performance) loss.
    tub_change_s: float = 15.0
    vial_component_lot: str = "COC-V-2026-014"
    cap_component_lot: str = "CAP-2026-009"
    fault: FaultParams = field(default_factory=lambda: FaultParams("infeed_jam", 10.0, 5.0, "GP1"))

    def __post_init__(self) -> None:
        _check_positive(self, "cycle_time_s", "vials_per_tub")
        _check_not_negative(self, "tub_change_s")


@dataclass(frozen=True, slots=True)
class DecontaminationParams:
    """Station 2: outer-surface decontamination of each vial (e-beam tunnel by default)."""

    method: str = "e-beam"
    cycle_time_s: float = 5.0
    dose_setpoint_kgy: float = 25.0
    dose_sd_kgy: float = 0.6
    dose_min_kgy: float = 22.0
    fault: FaultParams = field(
        default_factory=lambda: FaultParams("ebeam_fault", 60.0, 20.0, "GP1")
    )

    def __post_init__(self) -> None:
        _check_positive(self, "cycle_time_s", "dose_setpoint_kgy")
        _check_not_negative(self, "dose_sd_kgy", "dose_min_kgy")


@dataclass(frozen=True, slots=True)
class FillingParams:
    """Station 3: a non-coring needle fills through the stopper.

    The fill time grows with the volume (`index_time_s + fill / pump_rate_ml_per_s`), so large
    formats may run slower than the nominal rate. The actual fill deviates from the target by
    a relative error drawn from `fill_distribution` ("normal": mean `fill_bias_pct`, standard
    deviation `fill_sd_pct`; "uniform": bias ± `fill_sd_pct`·√3, same variance).
    """

    index_time_s: float = 1.5
    pump_rate_ml_per_s: float = 12.0
    needle_count: int = 2
    fill_distribution: str = "normal"
    fill_bias_pct: float = 0.2
    fill_sd_pct: float = 0.7
    fill_tolerance_pct: float = 3.0
    fault: FaultParams = field(
        default_factory=lambda: FaultParams("needle_fault", 16.0, 12.0, "GP2")
    )

    def __post_init__(self) -> None:
        _check_positive(self, "pump_rate_ml_per_s", "needle_count", "fill_tolerance_pct")
        _check_not_negative(self, "index_time_s", "fill_sd_pct")
        if self.fill_distribution not in ("normal", "uniform"):
            raise InvalidValue("expected 'normal' or 'uniform'", field="fill_distribution")

    def cycle_time_s(self, fill_ml: float) -> float:
        return self.index_time_s + fill_ml / self.pump_rate_ml_per_s


@dataclass(frozen=True, slots=True)
class LaserResealParams:
    """Station 4: a laser melts the puncture track; a thermal sensor checks each reseal."""

    cycle_time_s: float = 3.0
    power_w: float = 8.0
    time_ms: float = 400.0
    sensor_mean_c: float = 240.0
    sensor_sd_c: float = 6.0
    sensor_min_c: float = 215.0
    sensor_max_c: float = 265.0
    #: The sensor sometimes returns nothing: such a vial is never accepted (DOMAIN.md §3 rule 3).
    sensor_missing_probability: float = 0.0005
    fault: FaultParams = field(
        default_factory=lambda: FaultParams("laser_fault", 30.0, 15.0, "GP3")
    )

    def __post_init__(self) -> None:
        _check_positive(self, "cycle_time_s", "power_w", "time_ms")
        _check_not_negative(self, "sensor_sd_c")
        _check_probability(self, "sensor_missing_probability")
        if self.sensor_min_c >= self.sensor_max_c:
            raise InvalidValue("must be below sensor_max_c", field="sensor_min_c")


@dataclass(frozen=True, slots=True)
class CappingParams:
    """Station 5: a sterile cap snaps on to protect the piercing target."""

    cycle_time_s: float = 2.5
    cap_missing_probability: float = 0.001
    cap_not_seated_probability: float = 0.002
    fault: FaultParams = field(default_factory=lambda: FaultParams("cap_jam", 12.0, 5.0, "GP4"))

    def __post_init__(self) -> None:
        _check_positive(self, "cycle_time_s")
        _check_probability(self, "cap_missing_probability", "cap_not_seated_probability")


@dataclass(frozen=True, slots=True)
class InspectionParams:
    """Station 6: 100 % inspection (checkweigher, reseal, cap and camera)."""

    cycle_time_s: float = 4.0
    camera_id: str = "CAM-1"
    visible_particle_probability: float = 0.003
    cosmetic_defect_probability: float = 0.004
    false_reject_probability: float = 0.002

    def __post_init__(self) -> None:
        _check_positive(self, "cycle_time_s")
        _check_probability(
            self,
            "visible_particle_probability",
            "cosmetic_defect_probability",
            "false_reject_probability",
        )


@dataclass(frozen=True, slots=True)
class RejectGateParams:
    """Station 7: sorts each vial to accepted, waste or the QC samples.

    Sterility samples cover the start and the end of filling (DOMAIN.md §5.7): the first and
    the last good vials of a batch are diverted to QC.
    """

    cycle_time_s: float = 1.0
    qc_samples_at_start: int = 10
    qc_samples_at_end: int = 10

    def __post_init__(self) -> None:
        _check_positive(self, "cycle_time_s")
        _check_not_negative(self, "qc_samples_at_start", "qc_samples_at_end")


@dataclass(frozen=True, slots=True)
class StationsParams:
    infeed: InfeedParams = field(default_factory=InfeedParams)
    decontamination: DecontaminationParams = field(default_factory=DecontaminationParams)
    filling: FillingParams = field(default_factory=FillingParams)
    laser_reseal: LaserResealParams = field(default_factory=LaserResealParams)
    capping: CappingParams = field(default_factory=CappingParams)
    inspection: InspectionParams = field(default_factory=InspectionParams)
    reject_gate: RejectGateParams = field(default_factory=RejectGateParams)

    def faults(self) -> dict[str, FaultParams]:
        """Station name → its fault parameters, in line order."""
        return {
            "infeed": self.infeed.fault,
            "decontamination": self.decontamination.fault,
            "filling": self.filling.fault,
            "laser_reseal": self.laser_reseal.fault,
            "capping": self.capping.fault,
        }


@dataclass(frozen=True, slots=True)
class StateDurationsParams:
    """How long each PackML acting state lasts (Starting and Completing hold the set-up)."""

    #: Line clearance before every batch (documents, components and labels of the last one out).
    line_clearance_min: float = 30.0
    batch_setup_min: float = 40.0
    #: Added to the set-up when the vial format differs from the previous batch's.
    format_changeover_min: float = 60.0
    completing_min: float = 15.0
    resetting_s: float = 30.0
    holding_s: float = 5.0
    unholding_s: float = 10.0
    suspending_s: float = 5.0
    unsuspending_s: float = 10.0
    stopping_s: float = 20.0
    aborting_s: float = 3.0
    clearing_s: float = 60.0

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            _check_not_negative(self, name)


@dataclass(frozen=True, slots=True)
class InterventionParams:
    """Inherent interventions: planned glove-port actions (fill-weight check, plate change)."""

    inherent_interval_min: float = 90.0
    inherent_duration_min: float = 3.0
    inherent_names: tuple[str, ...] = ("fill_weight_check", "settle_plate_change")
    glove_ports: tuple[str, ...] = ("GP1", "GP2", "GP3", "GP4")
    operators: tuple[str, ...] = ("OP-A", "OP-B")

    def __post_init__(self) -> None:
        _check_positive(self, "inherent_interval_min")
        _check_not_negative(self, "inherent_duration_min")
        for name in ("inherent_names", "glove_ports", "operators"):
            if not getattr(self, name):
                raise InvalidValue("must list at least one", field=name)


@dataclass(frozen=True, slots=True)
class BarrierDecontaminationParams:
    """Bio-decontamination cycles of the barrier (VHP), run unattended when due."""

    method: str = "VHP"
    cycle_duration_h: float = 3.0
    interval_h: float = 24.0
    #: Hours from the scenario start until the first cycle is due.
    first_due_h: float = 2.0

    def __post_init__(self) -> None:
        _check_positive(self, "cycle_duration_h", "interval_h")
        _check_not_negative(self, "first_due_h")


@dataclass(frozen=True, slots=True)
class ParticleParams:
    """The grade A particle counter: one reading per `sample_interval_s`.

    Counts per sample are Poisson draws on `sample_volume_l` of air, reported per m³. A rare
    excursion (probability per reading) multiplies both means by `excursion_factor`, more
    during interventions (`intervention_factor`).
    """

    location: str = "grade A, filling zone"
    sample_interval_s: float = 60.0
    sample_volume_l: float = 28.3
    mean_0_5um_per_m3: float = 150.0
    mean_5um_per_m3: float = 0.01
    excursion_probability: float = 0.0008
    excursion_factor: float = 18.0
    intervention_factor: float = 3.0
    limits: ParticleLimitSet = field(default_factory=annex1_grade_a_limits)

    def __post_init__(self) -> None:
        _check_positive(self, "sample_interval_s", "sample_volume_l")
        if self.sample_interval_s > 60.0:
            raise InvalidValue("grade A is read at least once a minute", field="sample_interval_s")
        _check_not_negative(
            self, "mean_0_5um_per_m3", "mean_5um_per_m3", "excursion_factor", "intervention_factor"
        )
        _check_probability(self, "excursion_probability")


@dataclass(frozen=True, slots=True)
class ViableParams:
    """Viable monitoring per batch: settle plates while filling, glove prints at the end."""

    settle_plate_exposure_h: float = 4.0
    settle_plate_locations: tuple[str, ...] = ("filling needle", "laser reseal")
    contamination_probability: float = 0.002
    incubation_min_days: float = 3.0
    incubation_max_days: float = 5.0

    def __post_init__(self) -> None:
        _check_positive(self, "settle_plate_exposure_h")
        _check_probability(self, "contamination_probability")
        _check_not_negative(self, "incubation_min_days")
        if self.incubation_max_days < self.incubation_min_days:
            raise InvalidValue("must not be below incubation_min_days", field="incubation_max_days")


@dataclass(frozen=True, slots=True)
class LineParams:
    """Everything the line is made of. `nominal_rate_vials_per_h` sets the ideal cycle."""

    line_id: str = "LINE-1"
    nominal_rate_vials_per_h: float = 600.0
    faults_enabled: bool = True
    interventions_enabled: bool = True
    #: The simulated operator unholds the line after a repair or an inherent intervention.
    auto_recover: bool = True
    stations: StationsParams = field(default_factory=StationsParams)
    durations: StateDurationsParams = field(default_factory=StateDurationsParams)
    interventions: InterventionParams = field(default_factory=InterventionParams)
    decontamination: BarrierDecontaminationParams = field(
        default_factory=BarrierDecontaminationParams
    )
    particles: ParticleParams = field(default_factory=ParticleParams)
    viable: ViableParams = field(default_factory=ViableParams)

    def __post_init__(self) -> None:
        _check_positive(self, "nominal_rate_vials_per_h")
        if not self.line_id.strip():
            raise InvalidValue("must not be empty", field="line_id")

    @property
    def ideal_cycle_s(self) -> float:
        return 3600.0 / self.nominal_rate_vials_per_h

    def cycle_time_s(self, fill_ml: float) -> float:
        """The line's cycle for a fill: its slowest station, never faster than nominal."""
        s = self.stations
        return max(
            self.ideal_cycle_s,
            s.infeed.cycle_time_s,
            s.decontamination.cycle_time_s,
            s.filling.cycle_time_s(fill_ml),
            s.laser_reseal.cycle_time_s,
            s.capping.cycle_time_s,
            s.inspection.cycle_time_s,
            s.reject_gate.cycle_time_s,
        )
