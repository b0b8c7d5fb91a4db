"""What each station does to one vial, computed arithmetically.

One SimPy event per vial cycle carries the whole vial through the seven stations: the line
is a synchronous indexing machine, so per-station events would cost time without changing
any result. Each station returns its record; the first failure decides the reject reason.
"""

from __future__ import annotations

import math
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


def process_vial(
    k: StationConstants, run: BatchRun, sequence: int, draws: VialDraws
) -> tuple[TerminalState, str | None, dict[str, Any]]:
    """Pass vial `sequence` of `run` through the stations: (terminal state, reason, records)."""
    u, z = draws.next()
    failures: list[str] = []

    tub_index, position = divmod(sequence - 1, k.vials_per_tub)
    rec_infeed = {
        "tub_id": f"{k.tub_prefix}{tub_index + 1:03d}",
        "nest_position": position + 1,
        "vial_lot": k.vial_lot,
        "cap_lot": k.cap_lot,
        "passed": True,
    }

    dose = k.dose_setpoint + k.dose_sd * z[0]
    deco_ok = dose >= k.dose_min
    if not deco_ok:
        failures.append("decontamination_failed")
    rec_deco = {"method": k.deco_method, "dose_kgy": round(dose, 2), "passed": deco_ok}

    if k.fill_normal:
        deviation_pct = k.fill_bias + k.fill_sd * z[1]
    else:
        deviation_pct = k.fill_bias + k.fill_half_width * (2.0 * u[0] - 1.0)
    target_ml = run.fill_ml
    actual_ml = target_ml * (1.0 + deviation_pct / 100.0)
    fill_ok = abs(deviation_pct) <= k.fill_tolerance
    if not fill_ok:
        failures.append("fill_out_of_tolerance")
    rec_fill = {
        "needle_id": k.needle_ids[(sequence - 1) % len(k.needle_ids)],
        "target_ml": target_ml,
        "target_mg": run.target_mg,
        "actual_ml": round(actual_ml, 4),
        "actual_mg": round(actual_ml * run.concentration_mg_per_ml, 4),
        "deviation_pct": round(deviation_pct, 3),
        "passed": fill_ok,
    }

    sensor_c: float | None = None
    laser_ok: bool | None = None
    if u[1] < k.sensor_missing:
        failures.append("reseal_unverified")
    else:
        sensor_c = round(k.sensor_mean + k.sensor_sd * z[2], 2)
        laser_ok = k.sensor_min <= sensor_c <= k.sensor_max
        if not laser_ok:
            failures.append("reseal_failed")
    rec_laser = {
        "power_w": k.laser_power,
        "time_ms": k.laser_time,
        "sensor_c": sensor_c,
        "passed": laser_ok,
    }

    present = u[2] >= k.cap_missing
    seated = present and u[3] >= k.cap_not_seated
    if not present:
        failures.append("cap_missing")
    elif not seated:
        failures.append("cap_not_seated")
    rec_cap = {"cap_present": present, "cap_seated": seated, "passed": seated}

    if u[4] < k.visible_particle:
        failures.append("visible_particle")
    if not failures and u[5] < k.false_reject:
        failures.append("false_reject")
    defect = failures[0] if failures else ("cosmetic" if u[6] < k.cosmetic else None)
    rec_insp = {
        "camera_id": k.camera_id,
        "result": "fail" if failures else "pass",
        "defect": defect,
        "defect_class": DEFECT_CLASS[defect] if defect else None,
    }

    reason: str | None = None
    if failures:
        state, reason, destination = _REJECTED, failures[0], "waste"
    elif run.qc_taken_at_start < k.qc_at_start:
        run.qc_taken_at_start += 1
        state, destination = _QC_SAMPLE, "qc_start"
    elif sequence > k.qc_at_end_from:
        state, destination = _QC_SAMPLE, "qc_end"
    else:
        state, destination = _ACCEPTED, "accepted"
    rec_gate = {"terminal_state": state.value, "reason": reason, "destination": destination}

    records = {
        "infeed": rec_infeed,
        "decontamination": rec_deco,
        "filling": rec_fill,
        "laser_reseal": rec_laser,
        "capping": rec_cap,
        "inspection": rec_insp,
        "reject_gate": rec_gate,
    }
    return state, reason, records
