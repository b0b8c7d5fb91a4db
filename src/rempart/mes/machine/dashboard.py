"""What the line dashboard shows, computed from the ingested journal (never from guesses)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count

from rempart.mes.batches.services import LINE_RATE_VIALS_PER_H
from rempart.mes.machine.limits import limits_in_force
from rempart.mes.machine.models import Alarm, MachineEvent, ParticleReading, VialRecord

TREND_POINTS = 120
CHART_W, CHART_H = 600, 160


@dataclass
class LineView:
    line_id: str
    state: str = "unknown"
    last_event_at: datetime | None = None
    last_sequence: int = 0
    batch_number: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    vials_last_hour: int = 0
    nominal_vials_per_h: int = LINE_RATE_VIALS_PER_H
    open_alarms: list[dict[str, Any]] = field(default_factory=list)
    particles: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_event_at"] = self.last_event_at.isoformat() if self.last_event_at else None
        return data


def line_view(line_id: str = "LINE-1") -> LineView:
    view = LineView(line_id)
    events = MachineEvent.objects.filter(line_id=line_id)
    last = events.order_by("-sequence").only("sequence", "timestamp").first()
    if last is None:
        return view
    view.last_sequence, view.last_event_at = last.sequence, last.timestamp
    state = events.filter(kind="state_changed").order_by("-sequence").only("data").first()
    if state is not None:
        view.state = str(state.data.get("to", "unknown"))
    loaded = events.filter(kind="batch_loaded").order_by("-sequence").first()
    ended = events.filter(kind__in=("batch_completed", "batch_terminated")).order_by("-sequence")
    last_end = ended.first()
    if loaded is not None and (last_end is None or last_end.sequence < loaded.sequence):
        view.batch_number = loaded.batch_number or ""
    if view.batch_number:
        vials = VialRecord.objects.filter(batch_number=view.batch_number)
        view.counts = {
            row["terminal_state"]: row["n"]
            for row in vials.values("terminal_state").annotate(n=Count("id"))
        }
        view.vials_last_hour = vials.filter(
            processed_at__gt=last.timestamp - timedelta(hours=1)
        ).count()
    view.open_alarms = [
        {"alarm_id": a.alarm_id, "code": a.code, "station": a.station, "severity": a.severity,
         "raised_at": a.raised_at.isoformat()}
        for a in Alarm.objects.filter(line_id=line_id, cleared_at__isnull=True)
    ]  # fmt: skip
    readings = ParticleReading.objects.filter(line_id=line_id).order_by("-measured_at")
    view.particles = [
        {
            "at": r.measured_at.isoformat(),
            "count_0_5um_per_m3": r.count_0_5um_per_m3,
            "count_5um_per_m3": r.count_5um_per_m3,
            "level": r.level,
            "limit_set_version": r.limit_set_version,
        }
        for r in reversed(list(readings[:TREND_POINTS]))
    ]
    return view


def particle_chart(view: LineView) -> dict[str, Any]:
    """SVG coordinates for the ≥0.5 µm trend with the site alert limit in force (approved,
    versioned) and the Annex 1 action limit; plain data, drawn by the template and redrawn
    by dashboard.js from status.json."""
    particles = view.particles
    limits = limits_in_force()
    top = float(max([limits.action_0_5um * 1.2, *(p["count_0_5um_per_m3"] for p in particles)]))

    def y(value: float) -> float:
        return round(CHART_H - value / top * CHART_H, 1)

    step = CHART_W / max(len(particles) - 1, 1)
    points = " ".join(
        f"{round(i * step, 1)},{y(p['count_0_5um_per_m3'])}" for i, p in enumerate(particles)
    )
    return {
        "width": CHART_W,
        "height": CHART_H,
        "points": points,
        "alert_y": y(limits.alert_0_5um),
        "action_y": y(limits.action_0_5um),
        "alert": limits.alert_0_5um,
        "action": limits.action_0_5um,
        "alert_5um": limits.alert_5um,
        "action_5um": limits.action_5um,
        "version": limits.version,
        "excursions": [
            {"x": round(i * step, 1), "y": y(p["count_0_5um_per_m3"])}
            for i, p in enumerate(particles)
            if p["level"] == "action"
        ],
    }
