"""The batch record's charts as SVG (data URIs), drawn on the server with matplotlib (no network).

Text stays text in the SVG (`svg.fonttype = none`), so the PDF's chart labels can be read
back. Each series is one path (not one marker per vial): 8,000 vials draw in a fraction of a
second and keep the PDF small; alert and action points are marked on top.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot
from matplotlib.figure import Figure

STYLE: Any = {"svg.fonttype": "none", "font.size": 7, "axes.titlesize": 8}
ALERT, ACTION = "#d08c00", "#c0392b"


def _svg(figure: Figure) -> str:
    """The figure as an SVG data URI: an `<img>` keeps its styles and ids apart from the
    page's (WeasyPrint parses inline SVG styles as page CSS) and from the other chart's."""
    out = io.BytesIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    pyplot.close(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def fill_weight_svg(ipc: dict[str, Any], labels: dict[str, str]) -> str | None:
    """Fill-weight deviation (%) over vial sequence, with ± alert and ± action limits."""
    series = ipc["series"]
    if not series["vial_sequence"]:
        return None
    alert, action = float(ipc["alert_pct"]), float(ipc["action_pct"])
    with matplotlib.rc_context(STYLE):
        figure, axes = pyplot.subplots(figsize=(7.0, 2.6))
        x, y = series["vial_sequence"], series["fill_deviation_pct"]
        axes.plot(x, y, linewidth=0.4, color="#2c6fbb", label=labels["fill"])
        for level, colour in (("alert", ALERT), ("action", ACTION)):
            marked = [
                (a, b) for a, b, c in zip(x, y, series["fill_ipc"], strict=True) if c == level
            ]
            if marked:
                axes.plot(
                    [m[0] for m in marked],
                    [m[1] for m in marked],
                    linestyle="none",
                    marker="o",
                    markersize=2.5,
                    color=colour,
                )
        for value, colour, name in (
            (alert, ALERT, labels["alert"]),
            (action, ACTION, labels["action"]),
        ):
            axes.axhline(value, color=colour, linewidth=0.8, linestyle="--", label=name)
            axes.axhline(-value, color=colour, linewidth=0.8, linestyle="--")
        top = max(action * 1.3, *(abs(v) for v in y))
        axes.set_ylim(-top, top)
        axes.set_xlabel(labels["x"])
        axes.set_ylabel(labels["y"])
        axes.set_title(labels["title"])
        axes.legend(loc="upper right", fontsize=6, ncols=3)
        axes.grid(linewidth=0.2)
        return _svg(figure)


def particles_svg(environment: dict[str, Any], labels: dict[str, str]) -> str | None:
    """Grade A particle counts over time, ≥0.5 µm and ≥5 µm, with alert and Annex 1 action
    limits."""
    readings = environment["readings"]
    if not readings:
        return None
    limits = environment["limits"]
    times = [datetime.fromisoformat(r["measured_at"].replace("Z", "+00:00")) for r in readings]
    with matplotlib.rc_context(STYLE):
        figure, panes = pyplot.subplots(2, 1, figsize=(7.0, 3.6), sharex=True)
        for pane, size, key in (
            (panes[0], "0_5um", "count_0_5um_per_m3"),
            (panes[1], "5um", "count_5um_per_m3"),
        ):
            values = [r[key] for r in readings]
            pane.plot(times, values, linewidth=0.6, color="#2c6fbb", label=labels[f"series_{size}"])
            alert, action = limits[f"alert_{size}_per_m3"], limits[f"action_{size}_per_m3"]
            pane.axhline(alert, color=ALERT, linewidth=0.8, linestyle="--", label=labels["alert"])
            pane.axhline(action, color=ACTION, linewidth=0.8, label=labels["action"])
            over = [(t, v) for t, v in zip(times, values, strict=True) if v > action]
            if over:
                pane.plot(
                    [o[0] for o in over],
                    [o[1] for o in over],
                    linestyle="none",
                    marker="o",
                    markersize=3,
                    color=ACTION,
                )
            pane.set_ylim(0, max(action * 1.2, *values) * 1.05)
            pane.set_ylabel(labels[f"y_{size}"])
            pane.legend(loc="upper right", fontsize=6, ncols=3)
            pane.grid(linewidth=0.2)
        panes[0].set_title(labels["title"])
        panes[1].set_xlabel(labels["x"])
        figure.autofmt_xdate()
        return _svg(figure)
