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


def _r(value: float, digits: int = 3) -> float:
    return round(value, digits)


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


def process_vial(
    stations: StationsParams, run: BatchRun, sequence: int, draws: VialDraws
) -> tuple[TerminalState, str | None, dict[str, Any]]:
    """Pass vial `sequence` of `run` through the stations: (terminal state, reason, records)."""
    order = run.order
    u, z = draws.next()
    failures: list[str] = []

    infeed = stations.infeed
    tub_index, position = divmod(sequence - 1, infeed.vials_per_tub)
    rec_infeed = {
        "tub_id": f"{order.batch_id}-T{tub_index + 1:03d}",
        "nest_position": position + 1,
        "vial_lot": infeed.vial_component_lot,
        "cap_lot": infeed.cap_component_lot,
        "passed": True,
    }

    deco = stations.decontamination
    dose = deco.dose_setpoint_kgy + deco.dose_sd_kgy * z[0]
    deco_ok = dose >= deco.dose_min_kgy
    if not deco_ok:
        failures.append("decontamination_failed")
    rec_deco = {"method": deco.method, "dose_kgy": _r(dose, 2), "passed": deco_ok}

    fill = stations.filling
    if fill.fill_distribution == "normal":
        deviation_pct = fill.fill_bias_pct + fill.fill_sd_pct * z[1]
    else:
        half_width = fill.fill_sd_pct * math.sqrt(3.0)
        deviation_pct = fill.fill_bias_pct + half_width * (2.0 * u[0] - 1.0)
    target_ml = run.fill_ml
    actual_ml = target_ml * (1.0 + deviation_pct / 100.0)
    conc = run.concentration_mg_per_ml
    target_mg = run.target_mg
    fill_ok = abs(deviation_pct) <= fill.fill_tolerance_pct
    if not fill_ok:
        failures.append("fill_out_of_tolerance")
    rec_fill = {
        "needle_id": f"N{(sequence - 1) % fill.needle_count + 1}",
        "target_ml": target_ml,
        "target_mg": target_mg,
        "actual_ml": _r(actual_ml, 4),
        "actual_mg": _r(actual_ml * conc, 4),
        "deviation_pct": _r(deviation_pct),
        "passed": fill_ok,
    }

    laser = stations.laser_reseal
    sensor_c: float | None = None
    if u[1] < laser.sensor_missing_probability:
        failures.append("reseal_unverified")
        laser_ok: bool | None = None
    else:
        sensor_c = laser.sensor_mean_c + laser.sensor_sd_c * z[2]
        laser_ok = laser.sensor_min_c <= sensor_c <= laser.sensor_max_c
        if not laser_ok:
            failures.append("reseal_failed")
    rec_laser = {
        "power_w": laser.power_w,
        "time_ms": laser.time_ms,
        "sensor_c": None if sensor_c is None else _r(sensor_c, 2),
        "passed": laser_ok,
    }

    cap = stations.capping
    present = u[2] >= cap.cap_missing_probability
    seated = present and u[3] >= cap.cap_not_seated_probability
    if not present:
        failures.append("cap_missing")
    elif not seated:
        failures.append("cap_not_seated")
    rec_cap = {"cap_present": present, "cap_seated": seated, "passed": present and seated}

    insp = stations.inspection
    if u[4] < insp.visible_particle_probability:
        failures.append("visible_particle")
    if not failures and u[5] < insp.false_reject_probability:
        failures.append("false_reject")
    minor = not failures and u[6] < insp.cosmetic_defect_probability
    defect = failures[0] if failures else ("cosmetic" if minor else None)
    rec_insp = {
        "camera_id": insp.camera_id,
        "result": "fail" if failures else "pass",
        "defect": defect,
        "defect_class": DEFECT_CLASS[defect] if defect else None,
    }

    gate = stations.reject_gate
    reason: str | None = None
    if failures:
        state, reason, destination = TerminalState.REJECTED, failures[0], "waste"
    elif run.qc_taken_at_start < gate.qc_samples_at_start:
        run.qc_taken_at_start += 1
        state, destination = TerminalState.QC_SAMPLE, "qc_start"
    elif sequence > order.target_quantity - gate.qc_samples_at_end:
        state, destination = TerminalState.QC_SAMPLE, "qc_end"
    else:
        state, destination = TerminalState.ACCEPTED, "accepted"
    rec_gate = {"terminal_state": str(state), "reason": reason, "destination": destination}

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
