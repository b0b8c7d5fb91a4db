"""Label settings (issuer, route) set by the pharmacist, and released/quarantined lots."""

from __future__ import annotations

import pytest

from rempart.mes.labels import services
from rempart.mes.stock.models import Lot
from tests.mes.conftest import World

from .factories import make_lot

ISSUER = "PUI du CHU de Lille"
ADDRESS = "2 avenue Oscar Lambret, 59000 Lille"


@pytest.fixture
def configured(world: World) -> World:
    pharmacist = world.users["pharmacist"]
    services.set_issuer(pharmacist, name=ISSUER, address=ADDRESS, phone="03 20 44 59 62")
    services.set_product_label(pharmacist, world.product, route="voie intraveineuse")
    return world


@pytest.fixture
def lot(configured: World) -> Lot:
    """Vials 1-8 and 11 accepted, 9 rejected, 10 a QC sample; released, expiry 200 days ahead."""
    return make_lot(configured)
