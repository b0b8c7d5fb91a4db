"""What makes a real day shorter than 24 × 600 vials: faults, interventions, decontamination.

Faults are drawn per station as exponential Execute-time intervals (mean `fault_mtbf_h`):
the line holds, an alarm is raised, an operator clears it through the station's glove port
(a corrective intervention, lognormal repair time with mean `fault_mttr_min`), the alarm is
cleared and the line resumes. Inherent interventions (planned glove-port actions) hold the
line every `inherent_interval_min` of Execute time. Set-up, line clearance and format
changeover live in the Starting state (see `FillingLine`), shift ends in the operator.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from rempart.twin.journal import Kind
from rempart.twin.packml import Command, State
from rempart.twin.params import FaultParams

if TYPE_CHECKING:
    from rempart.twin.line import FillingLine

SimGen = Generator[Any, Any, None]

#: Spread of repair and intervention times around their mean (lognormal shape).
_REPAIR_SIGMA = 0.5


class LossModel:
    """Faults, interventions, alarms and decontamination cycles of one line."""

    def __init__(
        self, line: FillingLine, rng_faults: np.random.Generator, rng_people: np.random.Generator
    ) -> None:
        self.line = line
        self.params = line.params
        self._rng_faults = rng_faults
        self._rng_people = rng_people
        self.faults = 0
        self.interventions = 0
        self.active_alarms: dict[str, dict[str, Any]] = {}
        self._alarm_counter = 0
        self._active_interventions = 0
        self._decon_counter = 0
        self.decontamination_due_s = self.params.decontamination.first_due_h * 3600.0
        self._next_fault_s: dict[str, float] = {}
        if self.params.faults_enabled:
            for station, fault in self.params.stations.faults().items():
                if fault.enabled:
                    self._next_fault_s[station] = self._draw_fault_interval_s(fault)
        interval = self.params.interventions.inherent_interval_min * 60.0
        self._next_inherent_s = interval if self.params.interventions_enabled else math.inf

    @property
    def intervening(self) -> bool:
        return self._active_interventions > 0

    def _draw_fault_interval_s(self, fault: FaultParams) -> float:
        return float(self._rng_faults.exponential(fault.fault_mtbf_h * 3600.0))

    def _lognormal_s(self, rng: np.random.Generator, mean_s: float) -> float:
        if mean_s <= 0:
            return 0.0
        mu = math.log(mean_s) - _REPAIR_SIGMA**2 / 2.0
        return round(float(rng.lognormal(mu, _REPAIR_SIGMA)), 3)

    # ------------------------------------------------------------------ alarms
    def raise_alarm(self, code: str, station: str, severity: str, message: str) -> str:
        self._alarm_counter += 1
        alarm_id = f"AL{self._alarm_counter:05d}"
        self.active_alarms[alarm_id] = {"code": code, "raised_s": self.line.now_s}
        self.line.record(
            Kind.ALARM_RAISED,
            {
                "alarm_id": alarm_id,
                "code": code,
                "station": station,
                "severity": severity,
                "message": message,
            },
        )
        return alarm_id

    def clear_alarm(self, alarm_id: str, code: str, station: str) -> None:
        raised = self.active_alarms.pop(alarm_id)
        self.line.record(
            Kind.ALARM_CLEARED,
            {
                "alarm_id": alarm_id,
                "code": code,
                "station": station,
                "duration_s": round(self.line.now_s - raised["raised_s"], 3),
            },
        )

    # ------------------------------------------------------------------ during Execute
    def after_vial(self, execute_s: float) -> bool:
        """Called after each vial: start a fault or an inherent intervention when due.

        Returns True when the line was held (the caller leaves Execute).
        """
        if self._next_fault_s:
            station = min(self._next_fault_s, key=self._next_fault_s.__getitem__)
            if self._next_fault_s[station] <= execute_s:
                fault = self.params.stations.faults()[station]
                self._next_fault_s[station] = execute_s + self._draw_fault_interval_s(fault)
                self._fault(station, fault)
                return True
        if self._next_inherent_s <= execute_s:
            interval_s = self.params.interventions.inherent_interval_min * 60.0
            self._next_inherent_s = execute_s + interval_s
            self._inherent_intervention()
            return True
        return False

    def _fault(self, station: str, fault: FaultParams) -> None:
        self.faults += 1
        alarm_id = self.raise_alarm(
            fault.fault_code, station, "fault", f"{fault.fault_code} at {station}"
        )
        self.line.hold(alarm_id)
        self.line.stop_reason = fault.fault_code
        self.line.env.process(self._repair(alarm_id, station, fault))

    def _repair(self, alarm_id: str, station: str, fault: FaultParams) -> SimGen:
        duration_s = self._lognormal_s(self._rng_faults, fault.fault_mttr_min * 60.0)
        intervention = self._start_intervention(
            "corrective", f"clear_{fault.fault_code}", fault.glove_port, station
        )
        yield self.line.env.timeout(duration_s)
        self._end_intervention(intervention, duration_s)
        self.clear_alarm(alarm_id, fault.fault_code, station)
        yield from self._resume(alarm_id)

    def _inherent_intervention(self) -> None:
        params = self.params.interventions
        name = params.inherent_names[self.interventions % len(params.inherent_names)]
        port = str(self._rng_people.choice(list(params.glove_ports)))
        duration_s = self._lognormal_s(self._rng_people, params.inherent_duration_min * 60.0)
        cause = f"intervention:{name}"
        self.line.hold(cause)
        self.line.env.process(self._perform(cause, name, port, duration_s))

    def _perform(self, cause: str, name: str, port: str, duration_s: float) -> SimGen:
        intervention = self._start_intervention("inherent", name, port, None)
        yield self.line.env.timeout(duration_s)
        self._end_intervention(intervention, duration_s)
        yield from self._resume(cause)

    def _start_intervention(
        self, kind: str, name: str, glove_port: str, station: str | None
    ) -> str:
        self.interventions += 1
        self._active_interventions += 1
        intervention_id = f"IV{self.interventions:05d}"
        operators = self.params.interventions.operators
        operator = operators[int(self._rng_people.integers(len(operators)))]
        if self.line.batch is not None:
            self.line.batch.glove_ports_used.add(glove_port)
        self.line.record(
            Kind.INTERVENTION_STARTED,
            {
                "intervention_id": intervention_id,
                "type": kind,
                "name": name,
                "glove_port": glove_port,
                "operator": operator,
                "station": station,
            },
        )
        return intervention_id

    def _end_intervention(self, intervention_id: str, duration_s: float) -> None:
        self._active_interventions -= 1
        self.line.record(
            Kind.INTERVENTION_COMPLETED,
            {"intervention_id": intervention_id, "duration_s": duration_s},
        )

    def _resume(self, cause: str) -> SimGen:
        """The simulated operator unholds once the cause is gone, if it still holds the line."""
        line = self.line
        while line.state is State.HOLDING:
            yield line.state_changed()
        if not (self.params.auto_recover and line.state is State.HELD):
            return
        if line.hold_cause != cause:
            return
        if line.staffed(line.now_s):
            line.command(Command.UNHOLD, reason=f"resolved: {cause}")
        else:
            line.hold_cause = "shift_end"

    # ------------------------------------------------------------------ decontamination
    def decontamination_cycle(self) -> SimGen:
        params = self.params.decontamination
        self._decon_counter += 1
        cycle_id = f"DECON-{self._decon_counter:03d}"
        duration_s = params.cycle_duration_h * 3600.0
        self.line.record(
            Kind.DECONTAMINATION_STARTED,
            {"cycle_id": cycle_id, "method": params.method, "planned_duration_s": duration_s},
        )
        yield self.line.env.timeout(duration_s)
        self.line.decontaminating = False
        self.decontamination_due_s = self.line.now_s + params.interval_h * 3600.0
        self.line.record(
            Kind.DECONTAMINATION_COMPLETED,
            {
                "cycle_id": cycle_id,
                "method": params.method,
                "duration_s": duration_s,
                "passed": True,
            },
        )
