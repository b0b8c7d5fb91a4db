"""Key performance indicators of a run, OEE in the usual three factors.

- availability = time in Execute ÷ planned production time (staffed time of the shifts, or
  the whole horizon without shifts);
- performance = vials processed × ideal cycle (3600 ÷ nominal rate) ÷ time in Execute (tub
  changes and slow large fills show here);
- quality = good vials ÷ vials processed, where good = accepted + QC samples (conforming
  vials; QC samples leave for testing, not for waste);
- oee = availability × performance × quality = good × ideal cycle ÷ planned time.
EM excursions count particle readings classified at alert (not action) and at action level.
"""

from __future__ import annotations

from typing import Any

from rempart.domain.environment import Level
from rempart.twin.batch import TerminalState
from rempart.twin.line import FillingLine

KPI_KEYS = (
    "vials_good",
    "vials_rejected",
    "vials_processed",
    "availability",
    "performance",
    "quality",
    "oee",
    "interventions",
    "em_alert_excursions",
    "em_action_excursions",
    "simulated_hours",
)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def compute_kpis(line: FillingLine, planned_s: float | None = None) -> dict[str, Any]:
    """KPIs of the line so far; `planned_s` defaults to the simulated time elapsed."""
    counts = line.counts
    good = counts[TerminalState.ACCEPTED] + counts[TerminalState.QC_SAMPLE]
    processed = sum(counts.values())
    execute_s = line.execute_time_s()
    planned = line.now_s if planned_s is None else planned_s
    availability = min(1.0, _ratio(execute_s, planned))
    performance = _ratio(processed * line.params.ideal_cycle_s, execute_s)
    quality = _ratio(good, processed)
    return {
        "vials_good": good,
        "vials_rejected": counts[TerminalState.REJECTED],
        "vials_processed": processed,
        "vials_accepted": counts[TerminalState.ACCEPTED],
        "vials_qc_samples": counts[TerminalState.QC_SAMPLE],
        "vials_destroyed": counts[TerminalState.DESTROYED],
        "availability": round(availability, 4),
        "performance": round(performance, 4),
        "quality": round(quality, 4),
        "oee": round(availability * performance * quality, 4),
        "interventions": line.losses.interventions,
        "faults": line.losses.faults,
        "em_alert_excursions": line.em_counts[Level.ALERT],
        "em_action_excursions": line.em_counts[Level.ACTION],
        "particle_readings": sum(line.em_counts.values()),
        "batches_completed": line.batches_completed,
        "execute_hours": round(execute_s / 3600.0, 4),
        "planned_hours": round(planned / 3600.0, 4),
        "simulated_hours": round(line.now_s / 3600.0, 4),
        "journal_entries": line.journal.last_sequence,
    }
