"""The whole demo data set, in dependency order (`rempart mes load-demo`; idempotent).

Reference data, people and approved master records first (catalog), then what each area
needs to be tried from its pages: the line's signed decontamination and format parts
(batches), QC specifications (qc), consumption forecasts for the planning board (planboard)
and two released lots with an open hospital order (stock).
"""

from __future__ import annotations

from collections.abc import Callable

from rempart.mes.audit.context import Actor
from rempart.mes.batches.demo import load_line_state
from rempart.mes.catalog.demo import load_demo as load_catalog
from rempart.mes.planboard.demo import load_demo_forecasts
from rempart.mes.qc.demo import load_specifications
from rempart.mes.stock.demo import load_demo_stock


def load_everything(echo: Callable[[str], None]) -> None:
    actor = Actor.system("load-demo")
    load_catalog(echo)
    load_line_state(actor, echo)
    created = load_specifications(actor)
    echo(f"QC specifications: {created} created")
    load_demo_forecasts(echo)
    load_demo_stock(actor, echo)
