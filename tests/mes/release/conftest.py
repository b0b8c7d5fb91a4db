"""A batch ready for release: ended by the line's journal, every QC result passing, its
audit trail reviewed by QA (who did no step). The ordering technician performed a step."""

from __future__ import annotations

import pyotp
import pytest

from rempart.mes.accounts.models import User
from rempart.mes.batches.models import Batch
from rempart.mes.qc.models import Specification
from rempart.mes.release.services import review_audit_trail
from tests.mes.conftest import PASSWORD, World
from tests.mes.qc.factories import ended_batch, pass_all, specifications


def code(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).now()


def review(world: World, batch: Batch, who: str = "qa") -> None:
    user = world.users[who]
    review_audit_trail(user, batch, password=PASSWORD, totp_code=code(user), comment="seen")


def prepared(world: World, number: str, skip: tuple[str, ...] = (), **results: str) -> Batch:
    """Ended, with specifications and every result (overridable per test kind)."""
    if not Specification.objects.filter(product=world.product).exists():
        specifications(world.users["qc"], world.product)
    batch = ended_batch(world, number)
    pass_all(world.users["qc"], batch, skip, **results)
    batch.refresh_from_db()
    return batch


@pytest.fixture
def ready(world: World) -> Batch:
    batch = prepared(world, "REL-001")
    assert batch.state == "under_review"
    review(world, batch)
    return batch
