"""Demo QC specifications: version 1 of the four tests for every product that has none.

Called by `rempart mes load-demo` (catalog.demo) after the products exist; idempotent.
"""

from __future__ import annotations

from decimal import Decimal

from rempart.domain.qc import SampleKind
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.catalog.models import Product
from rempart.mes.qc.models import Specification

#: (test, method, unit, lower, upper, expected, lead time in days)
DEMO_SPECIFICATIONS: tuple[tuple[SampleKind, str, str, str, str, str, int], ...] = (
    (SampleKind.STERILITY, "Ph. Eur. 2.6.1 (membrane filtration)", "", "", "", "no growth", 14),
    (SampleKind.ENDOTOXINS, "Ph. Eur. 2.6.14 (LAL, kinetic)", "EU/mL", "", "0.5", "", 2),
    (
        SampleKind.VISUAL_INSPECTION,
        "Ph. Eur. 2.9.20 (manual re-inspection)",
        "defective units",
        "",
        "0",
        "",
        1,
    ),
    (SampleKind.ASSAY, "HPLC-UV", "% label claim", "95", "105", "", 3),
)


def load_specifications(actor: Actor) -> int:
    """Create the demo specifications for products without any; returns how many."""
    created = 0
    with audited_write(actor, reason="demo QC specifications"):
        for product in Product.objects.all():
            if Specification.objects.filter(product=product).exists():
                continue
            for test, method, unit, lower, upper, expected, lead in DEMO_SPECIFICATIONS:
                Specification.objects.create(
                    product=product,
                    test=test.value,
                    version=1,
                    method=method,
                    unit=unit,
                    lower_limit=Decimal(lower) if lower else None,
                    upper_limit=Decimal(upper) if upper else None,
                    expected=expected,
                    lead_time_days=lead,
                    created_by=actor.printed_name,
                )
                created += 1
    return created
