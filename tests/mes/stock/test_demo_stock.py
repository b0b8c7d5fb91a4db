"""The demo stock loader: two released lots in central stock, an open order; idempotent."""

from __future__ import annotations

from rempart.mes.audit.context import Actor
from rempart.mes.catalog.demo import load_demo
from rempart.mes.stock import ledger
from rempart.mes.stock.demo import load_demo_stock
from rempart.mes.stock.models import Lot, Order


def test_demo_stock_loads_once(db: None) -> None:
    said: list[str] = []
    load_demo_stock(Actor.system("demo"), said.append)
    assert "skipped" in said[0]
    load_demo(lambda line: None)
    load_demo_stock(Actor.system("demo"), said.append)
    lots = Lot.objects.filter(lot_number__startswith="DEMO-ROCU").order_by("lot_number")
    assert [(lot.status, lot.quantity_vials) for lot in lots] == [
        ("released", 570),
        ("released", 228),
    ]
    central = ledger.fixed_location(ledger.CENTRAL)
    assert sum(q for (_, loc), q in ledger.balances().items() if loc == central.pk) == 798
    assert Order.objects.get().hospital.code == "CH-ROUBAIX"
    load_demo_stock(Actor.system("demo"), said.append)
    assert said[-1] == "stock demo: already loaded"
    assert Order.objects.count() == 1
    assert ledger.check_ledger() == []
