"""A batch ready for release: ended by the line's journal, every QC result passing, its
audit trail reviewed by QA (who did no step), its post-use filter integrity test performed
by the technician and verified by a second technician. The ordering technician performed a
step."""

from __future__ import annotations

import pyotp
import pytest

from rempart.domain.roles import Role
from rempart.mes.accounts.models import User
from rempart.mes.batches.models import Batch
from rempart.mes.qc.models import Specification
from rempart.mes.release.filtration import record_filter_test, verify_filter_test
from rempart.mes.release.models import FilterIntegrityTest
from rempart.mes.release.services import review_audit_trail
from tests.mes.conftest import PASSWORD, World, make_user
from tests.mes.qc.factories import ended_batch, pass_all, specifications


def code(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).now()


def review(world: World, batch: Batch, who: str = "qa") -> None:
    user = world.users[who]
    review_audit_trail(user, batch, password=PASSWORD, totp_code=code(user), comment="seen")


def second_technician() -> User:
    found = User.objects.filter(username="tech2").first()
    return found if found is not None else make_user("tech2", Role.TECHNICIAN)


def filter_test(
    world: World, batch: Batch, value: str = "3.6", *, verify: bool = True
) -> FilterIntegrityTest:
    """A bubble point test (limit 3.2 bar) by the technician, verified by a second one."""
    tech = world.users["technician"]
    test = record_filter_test(
        tech,
        batch,
        filter_lot="SARTO-0.22-2411",
        method="bubble_point",
        value=value,
        limit="3.2",
        unit="bar",
        password=PASSWORD,
        totp_code=code(tech),
    )
    if verify:
        other = second_technician()
        verify_filter_test(other, test, password=PASSWORD, totp_code=code(other))
    return test


def prepared(
    world: World,
    number: str,
    skip: tuple[str, ...] = (),
    filtered: bool = True,
    **results: str,
) -> Batch:
    """Ended, with specifications and every result (overridable per test kind), and its
    filter integrity test passed (unless `filtered` is false)."""
    if not Specification.objects.filter(product=world.product).exists():
        specifications(world.users["qc"], world.product)
    batch = ended_batch(world, number)
    if filtered:
        filter_test(world, batch)
    pass_all(world.users["qc"], batch, skip, **results)
    batch.refresh_from_db()
    return batch


@pytest.fixture
def ready(world: World) -> Batch:
    batch = prepared(world, "REL-001")
    assert batch.state == "under_review"
    review(world, batch)
    return batch
