"""The plan as pictures: matplotlib SVG, drawn on the server, served from this origin.

- `gantt_svg`: lots on the line by day (one row per product, the vials written on each bar),
  over a strip showing the regime of each day (normal or crisis 24/7);
- `fill_svg`: fill rate per hospital, with its worst product.

Drawn with matplotlib's object API (no pyplot state, so safe in the web server's threads; no
display, no network, no JavaScript), so it
works on an offline cleanroom terminal and under the pages' strict Content-Security-Policy.
"""

from __future__ import annotations

import io
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch

REGIME_COLOURS = {"normal": "#d9ead3", "crisis": "#f4cccc"}
BAR_COLOUR = "#3d6fb6"


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight")
    return out.getvalue()


def gantt_svg(plan: dict[str, Any], labels: list[str]) -> str:
    lots = plan.get("plan", {}).get("lots", [])
    periods = plan.get("plan", {}).get("periods", [])
    products = sorted({lot["product"] for lot in lots})
    n = len(labels)
    rows = max(1, len(products))
    fig = Figure(figsize=(max(8.0, 0.32 * n + 3), 1.2 + 0.55 * (rows + 1)))
    ax = fig.subplots()
    for use in periods:
        colour = REGIME_COLOURS.get(use["regime"], "#eeeeee")
        ax.broken_barh([(use["period"], 1)], (rows, 0.8), facecolors=colour, edgecolor="white")
    for y, product in enumerate(products):
        for lot in (x for x in lots if x["product"] == product):
            ax.broken_barh([(lot["period"] + 0.05, 0.9)], (y + 0.1, 0.8), facecolors=BAR_COLOUR)
            ax.text(
                lot["period"] + 0.5,
                y + 0.5,
                f"{lot['vials']:.0f}",
                ha="center",
                va="center",
                fontsize=6,
                color="white",
                rotation=90,
            )
    ax.set_yticks([y + 0.5 for y in range(len(products))] + [rows + 0.4])
    ax.set_yticklabels([*products, "regime"])
    step = max(1, n // 14)
    ax.set_xticks([t + 0.5 for t in range(0, n, step)])
    ax.set_xticklabels([labels[t][5:] for t in range(0, n, step)], rotation=45, fontsize=7)
    ax.set_xlim(0, n)
    ax.set_ylim(0, rows + 0.9)
    ax.set_xlabel("day (MM-DD)")
    ax.grid(axis="x", linestyle=":", linewidth=0.5)
    ax.legend(
        handles=[
            Patch(facecolor=BAR_COLOUR, label="lot filled (vials)"),
            *(Patch(facecolor=c, label=f"{r} regime") for r, c in REGIME_COLOURS.items()),
        ],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=7,
    )
    if not lots:
        ax.text(n / 2, rows / 2, "no lot to fill in this plan", ha="center", va="center")
    return _svg(fig)


def fill_svg(plan: dict[str, Any]) -> str:
    rates = sorted(plan.get("fill_rates", []), key=lambda f: f["hospital"])
    fig = Figure(figsize=(8.0, 1.0 + 0.35 * max(1, len(rates))))
    ax = fig.subplots()
    names = [f["hospital"] for f in rates]
    ax.barh(names, [100 * f["fill_rate"] for f in rates], color=BAR_COLOUR, label="all products")
    ax.scatter(
        [100 * f["worst_product_fill_rate"] for f in rates],
        names,
        color="#c0392b",
        zorder=3,
        label="worst product",
    )
    ax.set_xlim(0, 100)
    ax.set_xlabel("fill rate over the horizon (%)")
    ax.invert_yaxis()
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return _svg(fig)
