"""The post-use sterile-filter integrity test of a batch (DOMAIN.md §5.4 "filter integrity").

`record_filter_test` writes the test (filter lot, method, value, limit, unit; `passed` judged
by `rempart.domain.release.filter_test_passes`) signed "performed"; `verify_filter_test` is
a second person's "verified" signature. The release checklist reads the latest test signed
both ways (`rempart.mes.qc.facts.filter_integrity`): a missing, unverified or failed test
blocks release (`filter_integrity`). A failed test may be repeated (a new record); the
latest verified one decides, and every test stays in the batch record.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from rempart.domain.batch import BatchState
from rempart.domain.release import FilterTestMethod, filter_test_passes
from rempart.domain.roles import Action
from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.core.columns import fitting
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.release.models import FilterIntegrityTest
from rempart.mes.signatures.services import (
    check_signer_may_sign,
    valid_signature,
    write_signature,
)

#: The filter is tested after use: from the line clearance (the bulk is filtered during
#: preparation and filling) until the pharmacist's decision.
TESTABLE_STATES = frozenset(
    {
        BatchState.LINE_CLEARANCE.value,
        BatchState.FILLING.value,
        BatchState.FILLED.value,
        BatchState.QUARANTINE.value,
        BatchState.UNDER_REVIEW.value,
        BatchState.ON_HOLD.value,
    }
)


def _decimal(raw: Decimal | str | None, field: str) -> Decimal:
    if isinstance(raw, Decimal):
        value = raw
    else:
        text = (raw or "").strip().replace(",", ".")
        if not text:
            raise Refused("enter a number", field=field)
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise Refused(f"{raw!r} is not a number", field=field) from None
    if not value.is_finite() or value <= 0 or value >= Decimal("10000000"):
        raise Refused("enter a positive number below 10,000,000", field=field)
    return value.quantize(Decimal("0.001"))


def _method(raw: str) -> FilterTestMethod:
    try:
        return FilterTestMethod(raw.strip().lower().replace(" ", "_"))
    except ValueError:
        known = ", ".join(m.value for m in FilterTestMethod)
        raise Refused(f"unknown method {raw!r}; one of {known}", field="method") from None


def record_filter_test(
    user: User,
    batch: Batch,
    *,
    filter_lot: str,
    method: str,
    value: Decimal | str | None,
    limit: Decimal | str | None,
    unit: str,
    password: str,
    totp_code: str,
    comment: str = "",
    request_id: str = "",
) -> FilterIntegrityTest:
    """Record the post-use integrity test of the batch's filter, signed "performed"."""
    require(user, Action.RUN_BATCH)
    lot = filter_lot.strip()
    if not lot or len(lot) > 60:
        raise Refused("enter the filter lot (1 to 60 characters)", field="filter_lot")
    chosen = _method(method)
    measured, maximum = _decimal(value, "value"), _decimal(limit, "limit")
    unit_text = unit.strip()
    if not unit_text or len(unit_text) > 20:
        raise Refused("enter the unit (1 to 20 characters, e.g. bar)", field="unit")
    check_signer_may_sign(user, meaning=Meaning.PERFORMED, password=password, totp_code=totp_code)
    with audited_write(actor_for(user, request_id), reason="filter integrity test performed"):
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.state not in TESTABLE_STATES:
            raise Conflict(
                f"{locked.batch_number} is {locked.state}: its filter is not tested now",
                field="state",
            )
        test = FilterIntegrityTest.objects.create(
            batch=locked,
            filter_lot=lot,
            method=chosen.value,
            value=measured,
            limit=maximum,
            unit=unit_text,
            passed=filter_test_passes(chosen, measured, maximum),
            comment=fitting(FilterIntegrityTest, "comment", comment.strip(), field="comment"),
        )
        write_signature(user, test, Meaning.PERFORMED, comment="filter integrity test")
    return test


def verify_filter_test(
    user: User,
    test: FilterIntegrityTest,
    *,
    password: str,
    totp_code: str,
    request_id: str = "",
) -> FilterIntegrityTest:
    """A second person verifies the test (signature "verified")."""
    require(user, Action.RUN_BATCH)
    performed = valid_signature(test, Meaning.PERFORMED)
    if performed is None:
        raise Conflict("the test has no valid 'performed' signature", field="test")
    if performed.signature.signer_id == user.pk:
        raise NotPermitted("the verifier must not be who performed the test", field="user")
    if valid_signature(test, Meaning.VERIFIED) is not None:
        raise Conflict("the test is already verified", field="test")
    check_signer_may_sign(user, meaning=Meaning.VERIFIED, password=password, totp_code=totp_code)
    write_signature(
        user, test, Meaning.VERIFIED, comment="filter integrity test", request_id=request_id
    )
    return test
