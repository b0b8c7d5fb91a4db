"""Stock fixtures: the world's two hospitals and personas, plus the orderer of hospital B."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.mes.conftest import Persona, World


@pytest.fixture
def orderer_b(world: World) -> Persona:
    client = Client()
    user = world.users["orderer_b"]
    client.force_login(user)
    return Persona(user, client)
