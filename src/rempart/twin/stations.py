"""What each station does to one vial, computed arithmetically.

One SimPy event per vial cycle carries the whole vial through the seven stations: the line
is a synchronous indexing machine, so per-station events would cost time without changing
any result. The first failed check decides the reject reason. The per-station records are
materialised only when the entry is read (`VialRecord`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from rempart.twin.batch import BatchRun, TerminalState
from rempart.twin.params import StationsParams

#: Defect classes of inspection (DOMAIN.md §3 station 6) by detected cause.
DEFECT_CLASS = {
    "decontamination_failed": "critical",
    "reseal_failed": "critical",
    "reseal_unverified": "critical",
    "cap_missing": "critical",
    "cap_not_seated": "major",
    "fill_out_of_tolerance": "major",
    "visible_particle": "critical",
    "false_reject": "major",
    "cosmetic": "minor",
}


class VialDraws:
    """Random numbers for the vials, drawn from numpy in blocks.

    One numpy call per vial costs more than the vial's arithmetic; blocks of Python floats
    keep a crisis day well under a second. The stream is still one seeded generator, so a run
    is reproducible.
    """

    UNIFORMS = 9
    NORMALS = 3

    def __init__(self, rng: np.random.Generator, block: int = 1024) -> None:
        self._rng = rng
        self._block = block
        self._u: list[list[float]] = []
        self._z: list[list[float]] = []
        self._i = block

    def next(self) -> tuple[list[float], list[float]]:
        if self._i >= self._block:
            self._u = self._rng.random((self._block, self.UNIFORMS)).tolist()
            self._z = self._rng.standard_normal((self._block, self.NORMALS)).tolist()
            self._i = 0
        i = self._i
        self._i += 1
        return self._u[i], self._z[i]


class StationConstants:
    """What every vial of a batch shares, read once from the parameters (the hot path then
    reads plain attributes instead of walking dataclasses for each vial)."""

    __slots__ = (
        "camera_id",
        "cap_lot",
        "cap_missing",
        "cap_not_seated",
        "cosmetic",
        "deco_method",
        "dose_min",
        "dose_sd",
        "dose_setpoint",
        "false_reject",
        "fill_bias",
        "fill_half_width",
        "fill_normal",
        "fill_sd",
        "fill_tolerance",
        "laser_power",
        "laser_time",
        "needle_ids",
        "qc_at_end_from",
        "qc_at_start",
        "sensor_max",
        "sensor_mean",
        "sensor_min",
        "sensor_missing",
        "sensor_sd",
        "tub_prefix",
        "vial_lot",
        "vials_per_tub",
        "visible_particle",
    )

    def __init__(self, stations: StationsParams, run: BatchRun) -> None:
        infeed, deco, fill = stations.infeed, stations.decontamination, stations.filling
        laser, cap, insp, gate = (
            stations.laser_reseal,
            stations.capping,
            stations.inspection,
            stations.reject_gate,
        )
        self.tub_prefix = f"{run.order.batch_id}-T"
        self.vials_per_tub = infeed.vials_per_tub
        self.vial_lot = infeed.vial_component_lot
        self.cap_lot = infeed.cap_component_lot
        self.deco_method = deco.method
        self.dose_setpoint = deco.dose_setpoint_kgy
        self.dose_sd = deco.dose_sd_kgy
        self.dose_min = deco.dose_min_kgy
        self.fill_normal = fill.fill_distribution == "normal"
        self.fill_bias = fill.fill_bias_pct
        self.fill_sd = fill.fill_sd_pct
        self.fill_half_width = fill.fill_sd_pct * math.sqrt(3.0)
        self.fill_tolerance = fill.fill_tolerance_pct
        self.needle_ids = [f"N{i + 1}" for i in range(fill.needle_count)]
        self.laser_power = laser.power_w
        self.laser_time = laser.time_ms
        self.sensor_missing = laser.sensor_missing_probability
        self.sensor_mean = laser.sensor_mean_c
        self.sensor_sd = laser.sensor_sd_c
        self.sensor_min = laser.sensor_min_c
        self.sensor_max = laser.sensor_max_c
        self.cap_missing = cap.cap_missing_probability
        self.cap_not_seated = cap.cap_not_seated_probability
        self.camera_id = insp.camera_id
        self.visible_particle = insp.visible_particle_probability
        self.false_reject = insp.false_reject_probability
        self.cosmetic = insp.cosmetic_defect_probability
        self.qc_at_start = gate.qc_samples_at_start
        self.qc_at_end_from = run.order.target_quantity - gate.qc_samples_at_end


_ACCEPTED = TerminalState.ACCEPTED
_REJECTED = TerminalState.REJECTED
_QC_SAMPLE = TerminalState.QC_SAMPLE


class VialRecord(Mapping[str, Any]):
    """The `data` of one `vial_processed` entry, built from its numbers when first read.

    The decisions (terminal state, reason, QC diversion) are taken when the vial passes;
    only the dictionaries of per-station fields are materialised lazily. A Monte Carlo run
    that reads just the counts never pays for 8,000 × 8 dictionaries; a journal that is
    served or written gets exactly the same content, computed once.
    """

    __slots__ = (
        "_built",
        "_k",
        "actual_ml",
        "conc",
        "defect",
        "destination",
        "deviation_pct",
        "dose",
        "fill_ml",
        "laser_ok",
        "present",
        "product_code",
        "reason",
        "seated",
        "sensor_c",
        "sequence",
        "state",
        "target_mg",
    )
    # Set by `process_vial` as the vial passes each station.
    dose: float
    deviation_pct: float
    actual_ml: float
    sensor_c: float | None
    laser_ok: bool | None
    present: bool
    seated: bool
    defect: str | None
    state: TerminalState
    reason: str | None
    destination: str

    def __init__(self, k: StationConstants, run: BatchRun, sequence: int) -> None:
        self._k = k
        self._built: dict[str, Any] | None = None
        self.sequence = sequence
        self.product_code = run.order.product.code
        self.fill_ml = run.fill_ml
        self.target_mg = run.target_mg
        self.conc = run.concentration_mg_per_ml

    def _data(self) -> dict[str, Any]:
        if self._built is None:
            self._built = self._build()
        return self._built

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def _build(self) -> dict[str, Any]:
        k = self._k
        seq = self.sequence
        tub_index, position = divmod(seq - 1, k.vials_per_tub)
        sensor = self.sensor_c
        defect = self.defect
        stations = {
            "infeed": {
                "tub_id": f"{k.tub_prefix}{tub_index + 1:03d}",
                "nest_position": position + 1,
                "vial_lot": k.vial_lot,
                "cap_lot": k.cap_lot,
                "passed": True,
            },
            "decontamination": {
                "method": k.deco_method,
                "dose_kgy": round(self.dose, 2),
                "passed": self.dose >= k.dose_min,
            },
            "filling": {
                "needle_id": k.needle_ids[(seq - 1) % len(k.needle_ids)],
                "target_ml": self.fill_ml,
                "target_mg": self.target_mg,
                "actual_ml": round(self.actual_ml, 4),
                "actual_mg": round(self.actual_ml * self.conc, 4),
                "deviation_pct": round(self.deviation_pct, 3),
                "passed": abs(self.deviation_pct) <= k.fill_tolerance,
            },
            "laser_reseal": {
                "power_w": k.laser_power,
                "time_ms": k.laser_time,
                "sensor_c": None if sensor is None else round(sensor, 2),
                "passed": self.laser_ok,
            },
            "capping": {
                "cap_present": self.present,
                "cap_seated": self.seated,
                "passed": self.seated,
            },
            "inspection": {
                "camera_id": k.camera_id,
                "result": "fail" if self.state is _REJECTED else "pass",
                "defect": defect,
                "defect_class": DEFECT_CLASS[defect] if defect else None,
            },
            "reject_gate": {
                "terminal_state": self.state.value,
                "reason": self.reason,
                "destination": self.destination,
            },
        }
        return {
            "vial_sequence": seq,
            "product_code": self.product_code,
            "terminal_state": self.state.value,
            "reject_reason": self.reason,
            "stations": stations,
        }


def process_vial(
    k: StationConstants, run: BatchRun, sequence: int, draws: VialDraws
) -> tuple[TerminalState, str | None, VialRecord]:
    """Pass vial `sequence` of `run` through the stations: its terminal state and record.

    The first failed check, in line order, is the reject reason; inspection sees them all.
    """
    u, z = draws.next()
    vial = VialRecord(k, run, sequence)
    failure: str | None = None

    vial.dose = dose = k.dose_setpoint + k.dose_sd * z[0]
    if dose < k.dose_min:
        failure = "decontamination_failed"

    if k.fill_normal:
        deviation_pct = k.fill_bias + k.fill_sd * z[1]
    else:
        deviation_pct = k.fill_bias + k.fill_half_width * (2.0 * u[0] - 1.0)
    vial.deviation_pct = deviation_pct
    vial.actual_ml = run.fill_ml * (1.0 + deviation_pct / 100.0)
    if failure is None and abs(deviation_pct) > k.fill_tolerance:
        failure = "fill_out_of_tolerance"

    if u[1] < k.sensor_missing:
        vial.sensor_c = None
        vial.laser_ok = None
        failure = failure or "reseal_unverified"
    else:
        vial.sensor_c = sensor_c = k.sensor_mean + k.sensor_sd * z[2]
        vial.laser_ok = laser_ok = k.sensor_min <= sensor_c <= k.sensor_max
        if not laser_ok:
            failure = failure or "reseal_failed"

    vial.present = present = u[2] >= k.cap_missing
    vial.seated = seated = present and u[3] >= k.cap_not_seated
    if not present:
        failure = failure or "cap_missing"
    elif not seated:
        failure = failure or "cap_not_seated"

    if u[4] < k.visible_particle:
        failure = failure or "visible_particle"
    if failure is None and u[5] < k.false_reject:
        failure = "false_reject"
    vial.defect = failure or ("cosmetic" if u[6] < k.cosmetic else None)

    if failure is not None:
        state, destination = _REJECTED, "waste"
    elif run.qc_taken_at_start < k.qc_at_start:
        run.qc_taken_at_start += 1
        state, destination = _QC_SAMPLE, "qc_start"
    elif sequence > k.qc_at_end_from:
        state, destination = _QC_SAMPLE, "qc_end"
    else:
        state, destination = _ACCEPTED, "accepted"
    vial.state = state
    vial.reason = failure
    vial.destination = destination
    return state, failure, vial
