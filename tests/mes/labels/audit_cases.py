"""The labels app's GMP models for the audit-capture tests (tests/mes/test_audit_capture.py):
each model with (a text column a change can touch, how to make a clone unique), and
`records(world)` creating at least two rows of each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import models

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.catalog.models import Product
from rempart.mes.labels.models import LabelCount, LabelIssuer, LabelPrint, ProductLabel
from rempart.mes.stock.models import Lot
from tests.mes.conftest import World


def _other_product(obj: ProductLabel) -> None:
    obj.product = Product.objects.filter(label__isnull=True).first()  # type: ignore[assignment]


CASES: dict[type[models.Model], tuple[str, Callable[[Any], None]]] = {
    ProductLabel: ("route", _other_product),
    LabelIssuer: ("name", lambda obj: None),
    LabelPrint: ("reason", lambda obj: None),
    LabelCount: ("reason", lambda obj: None),
}


def records(world: World) -> None:
    """Label settings of two products (a third stays free), the issuer, and print/count rows
    on a lot of its own batch AC-LBL (AC-001 and AC-002 are the stock app's)."""
    with audited_write(Actor.system("tests")):
        products = [world.product]
        for code in ("LBL-2", "LBL-3"):
            clone = Product.objects.get(pk=world.product.pk)
            clone.pk = None
            clone.code = code
            clone.save()
            products.append(clone)
        for product in products[:2]:
            ProductLabel.objects.create(product=product, route="voie intraveineuse")
        LabelIssuer.objects.create(name="PUI CHU de Lille")
        LabelIssuer.objects.create(name="PUI CH de Roubaix")
        batch = Batch.objects.get(batch_number="AC-001")
        batch.pk = None
        batch.batch_number = "AC-LBL"
        batch.save()
        lot = Lot.objects.create(
            batch=batch,
            lot_number="AC-LBL",
            quantity_vials=90,
            fill_date=date(2026, 1, 5),
        )
        for n in (1, 2):
            LabelPrint.objects.create(
                lot=lot,
                kind="print" if n == 1 else "reprint",
                reason="" if n == 1 else "smudged",
                quantity=1,
                serials=f"00000{n}",
                pdf_sha256="0" * 64,
                actor="tests",
                actor_id="system:tests",
            )
            LabelCount.objects.create(
                lot=lot, kind="applied", quantity=n, actor="tests", actor_id="system:tests"
            )
