"""The filling line: a SimPy model driven by PackML commands, writing every fact to a journal.

One controller process walks the PackML state model: it waits out each acting state
(Starting holds the set-up, line clearance and format changeover), produces one vial per
cycle in Execute, and otherwise waits for a command. Commands come from outside (a test, the
OPC UA facade, the scenario operator) through `command()`, which checks the transition table,
changes the state at the current simulated time and wakes the controller. A refused command
raises `CommandRefused` and changes nothing, not even the journal.

Faults, interventions and the particle counter are their own processes; all randomness comes
from independent streams spawned from one seed, so a run is reproducible and a change in,
say, the particle model does not reshuffle the vials.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from datetime import datetime
from typing import Any

import numpy as np
import simpy

from rempart.domain.environment import Level
from rempart.domain.products import Product, VialFormat
from rempart.twin.batch import BatchOrder, BatchRun, TerminalState
from rempart.twin.cleanroom import read_particles, take_viable_samples
from rempart.twin.errors import CommandRefused
from rempart.twin.journal import Journal, JournalEntry, Kind, format_timestamp
from rempart.twin.losses import LossModel
from rempart.twin.packml import (
    STATE_COMPLETE,
    STATE_NUMBERS,
    Command,
    Mode,
    PackMLMachine,
    State,
)
from rempart.twin.params import LineParams
from rempart.twin.stations import StationConstants, VialDraws, process_vial

SimGen = Generator[Any, Any, None]

#: Entering these states (a Stop or an Abort) ends the loaded batch before its quantity.
_TERMINATING = frozenset({State.STOPPING, State.ABORTING})


class FillingLine:
    """The twin of one closed-vial aseptic filling line. Advance it with `run_until`."""

    def __init__(self, params: LineParams, *, seed: int, start: datetime) -> None:
        self.params = params
        self.env = simpy.Environment()
        streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
        self._rng_vials, rng_faults, self._rng_particles, rng_interventions, self._rng_viable = (
            streams
        )
        self._vial_draws = VialDraws(self._rng_vials)
        self._constants: StationConstants | None = None
        self._constants_for: BatchRun | None = None
        self.journal = Journal(params.line_id, start)
        self.machine = PackMLMachine()
        self.batch: BatchRun | None = None
        self.last_vial_format: str | None = None
        self.stop_reason = ""
        self.counts: dict[TerminalState, int] = dict.fromkeys(TerminalState, 0)
        self.em_counts: dict[Level, int] = dict.fromkeys(Level, 0)
        self.last_particles: tuple[int, int, Level] = (0, 0, Level.OK)
        self.batches_completed = 0
        self.time_in_state_s: dict[State, float] = dict.fromkeys(State, 0.0)
        #: Whether operators are on shift at a simulated second (the scenario operator sets it).
        self.staffed: Callable[[float], bool] = lambda _t: True
        self.hold_cause: str | None = None
        self.decontaminating = False
        self._used_batch_ids: set[str] = set()
        self._entered_s = 0.0
        self._token = 0
        #: Never triggered: the controller waits on it in a wait state until interrupted.
        self._idle = self.env.event()
        self._waiting = False
        self._changed = self.env.event()
        self._cycle_started_s: float | None = None
        self._tub_pause_done_at = 0
        self._setup_s = 0.0
        self._em_alarm: tuple[str, Level] | None = None
        self.losses = LossModel(self, rng_faults, rng_interventions)
        self._record(
            Kind.STATE_CHANGED,
            {
                "from": None,
                "to": str(State.IDLE),
                "state_number": STATE_NUMBERS[State.IDLE],
                "mode": str(self.machine.mode),
                "command": None,
                "reason": "power_on",
            },
        )
        self._controller_process = self.env.process(self._controller())
        self.env.process(self._particle_stream())

    # ----------------------------------------------------------------- reading the line
    @property
    def now_s(self) -> float:
        return float(self.env.now)

    @property
    def now(self) -> datetime:
        return self.journal.timestamp_of(self.now_s)

    @property
    def state(self) -> State:
        return self.machine.state

    @property
    def mode(self) -> Mode:
        return self.machine.mode

    @property
    def current_speed_vials_per_h(self) -> float:
        if self.state is not State.EXECUTE or self.batch is None:
            return 0.0
        return 3600.0 / self.params.cycle_time_s(self.batch.order.fill_ml)

    def execute_time_s(self) -> float:
        """Time spent in Execute so far (the run time of OEE)."""
        extra = self.now_s - self._entered_s if self.state is State.EXECUTE else 0.0
        return self.time_in_state_s[State.EXECUTE] + extra

    def time_in_states_s(self) -> dict[State, float]:
        result = dict(self.time_in_state_s)
        result[self.state] += self.now_s - self._entered_s
        return result

    def state_changed(self) -> Any:
        """A SimPy event that fires at the next state change (for processes that wait)."""
        return self._changed

    # ----------------------------------------------------------------- advancing time
    def run_until(self, sim_seconds: float) -> None:
        """Advance simulated time to `sim_seconds` after the start (never backwards)."""
        if sim_seconds > self.env.now:
            self.env.run(until=sim_seconds)
        # SimPy stops before the events due exactly at `until`; a vial finishing on the
        # horizon belongs to it, so those are processed too.
        while self.env.peek() == sim_seconds:
            self.env.step()

    def step(self, sim_seconds: float) -> None:
        self.run_until(self.now_s + sim_seconds)

    # ----------------------------------------------------------------- commands
    def command(self, command: Command | str, *, reason: str = "") -> State:
        """Apply a PackML command now; `CommandRefused` leaves everything unchanged."""
        cmd = _parse_command(command, self.state)
        target = self.machine.target_of(cmd)
        if cmd is Command.START and self.mode is Mode.PRODUCTION:
            if self.batch is None:
                raise CommandRefused(cmd, self.state, "no batch loaded (LoadBatch first)")
            if self.decontaminating:
                raise CommandRefused(cmd, self.state, "barrier decontamination in progress")
        self._apply(cmd, target, reason or "command")
        return self.state

    def hold(self, cause: str) -> None:
        """Hold for an internal cause (fault, intervention, shift end); the cause is kept."""
        self._apply(Command.HOLD, self.machine.target_of(Command.HOLD), cause)
        self.hold_cause = cause

    def set_mode(self, mode: Mode | str) -> Mode:
        try:
            new = Mode(str(mode).capitalize())
        except ValueError:
            raise CommandRefused(f"SetUnitMode({mode})", self.state, "unknown mode") from None
        self.machine.check_mode_change(new)
        if new is not self.mode:
            if self.batch is not None and new is not Mode.PRODUCTION:
                raise CommandRefused(
                    f"SetUnitMode({new})", self.state, f"batch {self.batch.batch_id} is loaded"
                )
            old, self.machine.mode = self.mode, new
            self._record(Kind.MODE_CHANGED, {"from": str(old), "to": str(new)})
        return self.mode

    def load_batch(
        self, batch_id: str, product: Product, vial_format: VialFormat, target_quantity: int
    ) -> BatchOrder:
        """Load the next batch; the line must be Idle in Production with no batch loaded."""
        what = f"LoadBatch({batch_id})"
        if self.mode is not Mode.PRODUCTION:
            raise CommandRefused(what, self.state, f"needs Production mode, not {self.mode}")
        if self.state is not State.IDLE:
            raise CommandRefused(what, self.state, "a batch is loaded only when Idle")
        if self.batch is not None:
            raise CommandRefused(what, self.state, f"batch {self.batch.batch_id} already loaded")
        if batch_id in self._used_batch_ids:
            raise CommandRefused(what, self.state, "this batch id was already used on this line")
        order = BatchOrder(batch_id, product, vial_format, target_quantity)
        self.batch = BatchRun(order)
        self._used_batch_ids.add(batch_id)
        conc = order.concentration_mg_per_ml
        self._record(
            Kind.BATCH_LOADED,
            {
                "product_code": product.code,
                "product_name": product.name,
                "vial_format": vial_format.code,
                "target_quantity": target_quantity,
                "target_fill_ml": order.fill_ml,
                "target_fill_mg": round(order.fill_ml * conc, 4),
                "concentration_mg_per_ml": conc,
                "cycle_time_s": round(self.params.cycle_time_s(order.fill_ml), 4),
            },
        )
        return order

    def start_decontamination(self) -> Any:
        """Start a barrier bio-decontamination cycle (unattended); only with the line at rest."""
        what = "StartDecontamination"
        if self.decontaminating:
            raise CommandRefused(what, self.state, "a cycle is already running")
        if self.state not in (State.IDLE, State.STOPPED, State.ABORTED) or self.batch is not None:
            raise CommandRefused(what, self.state, "only at rest with no batch loaded")
        self.decontaminating = True
        return self.env.process(self.losses.decontamination_cycle())

    # ----------------------------------------------------------------- journal helpers
    def _record(
        self, kind: Kind, data: Mapping[str, Any], *, batch_id: str | None = None
    ) -> JournalEntry:
        if batch_id is None and self.batch is not None:
            batch_id = self.batch.batch_id
        return self.journal.append(kind, self.env.now, batch_id, data)

    def record(self, kind: Kind, data: dict[str, Any], batch_id: str | None = None) -> None:
        """For the line's own processes (losses, operator): append a fact now."""
        self._record(kind, data, batch_id=batch_id)

    def timestamp_in(self, delay_s: float) -> str:
        return format_timestamp(self.journal.timestamp_of(self.now_s + delay_s))

    # ----------------------------------------------------------------- state changes
    def _apply(self, command: Command | None, target: State, reason: str) -> None:
        previous = self.machine.state
        now = self.now_s
        if target is State.STARTING:
            self._setup_s = self._setup_duration_s()
        self.time_in_state_s[previous] += now - self._entered_s
        self._entered_s = now
        self.machine.state = target
        if target is State.STOPPING or target is State.ABORTING:
            self.stop_reason = f"{command}: {reason}" if command else reason
        if target is State.UNHOLDING:
            self.hold_cause = None
        if target is State.HOLDING:
            self.hold_cause = "command"
        self._token += 1
        self._record(
            Kind.STATE_CHANGED,
            {
                "from": str(previous),
                "to": str(target),
                "state_number": STATE_NUMBERS[target],
                "mode": str(self.mode),
                "command": None if command is None else str(command),
                "reason": reason,
            },
        )
        if target in _TERMINATING and self.batch is not None:
            self._terminate_batch(target)
        changed, self._changed = self._changed, self.env.event()
        changed.succeed()
        self._kick_controller()

    def _kick_controller(self) -> None:
        """Interrupt the controller's wait so it re-reads the state (one Timeout per cycle
        plus an interrupt on a command is cheaper than racing every cycle against a wake-up
        event)."""
        if self._waiting:
            self._waiting = False
            self._controller_process.interrupt()

    def _wait(self, event: Any) -> Generator[Any, Any, bool]:
        """Wait for `event` in the controller; False when a state change interrupted it."""
        self._waiting = True
        try:
            yield event
        except simpy.Interrupt:
            return False
        self._waiting = False
        return True

    def _setup_duration_s(self) -> float:
        if self.mode is not Mode.PRODUCTION or self.batch is None:
            return self.params.durations.resetting_s
        d = self.params.durations
        setup_min = d.line_clearance_min + d.batch_setup_min
        fmt = self.batch.order.vial_format.code
        if self.last_vial_format is not None and fmt != self.last_vial_format:
            setup_min += d.format_changeover_min
        return setup_min * 60.0

    def _acting_duration_s(self, state: State) -> float:
        d = self.params.durations
        return {
            State.STARTING: self._setup_s,
            State.COMPLETING: d.completing_min * 60.0,
            State.RESETTING: d.resetting_s,
            State.HOLDING: d.holding_s,
            State.UNHOLDING: d.unholding_s,
            State.SUSPENDING: d.suspending_s,
            State.UNSUSPENDING: d.unsuspending_s,
            State.STOPPING: d.stopping_s,
            State.ABORTING: d.aborting_s,
            State.CLEARING: d.clearing_s,
        }[state]

    def _controller(self) -> SimGen:
        while True:
            state, token = self.state, self._token
            if state is State.EXECUTE:
                yield from self._execute(token)
            elif state in STATE_COMPLETE:
                duration = self._acting_duration_s(state)
                if duration > 0:
                    yield from self._wait(self.env.timeout(duration))
                if token == self._token:
                    self._state_complete(state)
            else:
                yield from self._wait(self._idle)

    def _state_complete(self, state: State) -> None:
        target = STATE_COMPLETE[state]
        run = self.batch
        if state is State.STARTING and run is not None and not run.started:
            run.started = True
            run.execute_started_s = self.now_s
            d = self.params.durations
            changeover = self._setup_s > (d.line_clearance_min + d.batch_setup_min) * 60.0 + 1e-9
            self._record(
                Kind.BATCH_STARTED,
                {
                    "setup_s": round(self._setup_s, 3),
                    "format_changeover": changeover,
                    "from_vial_format": self.last_vial_format,
                    "to_vial_format": run.order.vial_format.code,
                },
            )
        if state is State.COMPLETING and run is not None:
            self._close_batch(run, Kind.BATCH_COMPLETED, "quantity_reached")
            self.batches_completed += 1
        self._apply(None, target, "state_complete")

    # ----------------------------------------------------------------- batches
    def _close_batch(self, run: BatchRun, kind: Kind, reason: str) -> None:
        exposure_s = self.now_s - (run.execute_started_s or self.now_s)
        self._record(kind, {"reason": reason, **run.summary()})
        if run.started:
            samples = take_viable_samples(
                self.params.viable,
                self._rng_viable,
                batch_id=run.batch_id,
                exposure_s=exposure_s,
                glove_ports=sorted(run.glove_ports_used),
            )
            for sample in samples:
                self._record(
                    Kind.VIABLE_SAMPLE_TAKEN,
                    sample.taken_data(self.timestamp_in(sample.result_after_s)),
                )
                self.env.process(
                    self._viable_result(run.batch_id, sample.result_after_s, sample.result_data())
                )
        self.last_vial_format = run.order.vial_format.code if run.started else self.last_vial_format
        self.batch = None
        self._tub_pause_done_at = 0

    def _viable_result(self, batch_id: str, delay_s: float, data: dict[str, Any]) -> SimGen:
        yield self.env.timeout(delay_s)
        self._record(Kind.VIABLE_SAMPLE_RESULT, data, batch_id=batch_id)

    def _terminate_batch(self, target: State) -> None:
        run = self.batch
        assert run is not None
        if target is State.ABORTING and self._cycle_started_s is not None:
            # The vial inside the machine when it is aborted cannot be trusted: destroyed.
            self._emit_vial(run, destroyed=True)
        self._cycle_started_s = None
        why = "aborted" if target is State.ABORTING else "stopped"
        self._close_batch(run, Kind.BATCH_TERMINATED, why)

    def _emit_vial(self, run: BatchRun, *, destroyed: bool = False) -> None:
        run.issued += 1
        seq = run.issued
        data: Mapping[str, Any]
        if destroyed:
            state = TerminalState.DESTROYED
            data = {
                "vial_sequence": seq,
                "product_code": run.order.product.code,
                "terminal_state": state.value,
                "reject_reason": "aborted_in_machine",
                "stations": {},
            }
        else:
            if self._constants is None or self._constants_for is not run:
                self._constants = StationConstants(self.params.stations, run)
                self._constants_for = run
            state, _reason, data = process_vial(self._constants, run, seq, self._vial_draws)
        run.counts[state] += 1
        self.counts[state] += 1
        self._record(Kind.VIAL_PROCESSED, data)

    def _execute(self, token: int) -> SimGen:
        run = self.batch
        if self.mode is not Mode.PRODUCTION or run is None:
            # Maintenance runs the line dry: time passes in Execute, no vial is made.
            yield from self._wait(self._idle)
            return
        cycle_s = self.params.cycle_time_s(run.fill_ml)
        infeed = self.params.stations.infeed
        while token == self._token:
            if not self.staffed(self.now_s):
                self.hold("shift_end")
                return
            due_tub = run.issued > 0 and run.issued % infeed.vials_per_tub == 0
            if due_tub and infeed.tub_change_s > 0 and self._tub_pause_done_at != run.issued:
                yield from self._wait(self.env.timeout(infeed.tub_change_s))
                if token != self._token:
                    return
                self._tub_pause_done_at = run.issued
            self._cycle_started_s = self.now_s
            yield from self._wait(self.env.timeout(cycle_s))
            if token != self._token:
                self._cycle_started_s = None
                return
            self._cycle_started_s = None
            self._emit_vial(run)
            if run.issued >= run.order.target_quantity:
                self._apply(None, State.COMPLETING, "quantity_reached")
                return
            if self.losses.after_vial(self.execute_time_s()):
                return

    # ----------------------------------------------------------------- environment
    def _particle_stream(self) -> SimGen:
        params = self.params.particles
        while True:
            yield self.env.timeout(params.sample_interval_s)
            reading = read_particles(
                params, self._rng_particles, intervention_active=self.losses.intervening
            )
            self.em_counts[reading.level] += 1
            self.last_particles = (
                reading.count_0_5um_per_m3,
                reading.count_5um_per_m3,
                reading.level,
            )
            self._record(Kind.PARTICLE_READING, reading.to_data(params))
            self._em_alarm_follow(reading.level)

    def _em_alarm_follow(self, level: Level) -> None:
        active = self._em_alarm
        if active is not None and active[1] is level:
            return
        if active is not None:
            self.losses.clear_alarm(active[0], f"particles_{active[1]}", "environment")
            self._em_alarm = None
        if level is not Level.OK:
            alarm_id = self.losses.raise_alarm(
                f"particles_{level}",
                "environment",
                "em_" + str(level),
                f"grade A particle counts at {level} level",
            )
            self._em_alarm = (alarm_id, level)


def _parse_command(command: Command | str, state: State) -> Command:
    if isinstance(command, Command):
        return command
    for candidate in Command:
        if candidate.value.lower() == str(command).strip().lower():
            return candidate
    raise CommandRefused(str(command), state, "unknown command")
