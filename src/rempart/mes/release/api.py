"""JSON API routes of the release app (mounted under /api/): the cockpit, the audit-trail
review, release and rejection. A refused release answers 409 with every blocking reason in
the message (field "checklist") and in `reasons`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.batches.models import Batch
from rempart.mes.core.errors import NotFound
from rempart.mes.release import filtration, services
from rempart.mes.release.models import FilterIntegrityTest
from rempart.mes.signatures.services import signatures_of

router = Router(tags=["release"])


class ExceptionOut(Schema):
    code: str
    message: str
    items: list[str]


class CockpitOut(Schema):
    batch_number: str
    product_code: str
    state: str
    expected_release: str
    exceptions: list[ExceptionOut]


class ReleaseSignIn(Schema):
    password: str
    totp_code: str
    comment: str = ""


class RejectIn(Schema):
    password: str
    totp_code: str
    reason: str


class DecisionOut(Schema):
    batch_number: str
    decision: str
    pharmacist: str
    expiry_date: str | None


def _user(request: HttpRequest, action: Action) -> User:
    user = request.user
    assert isinstance(user, User)
    return require(user, action)


def _batch(number: str) -> Batch:
    batch = Batch.objects.filter(batch_number=number).first()
    if batch is None:
        raise NotFound(f"no batch {number}", field="number")
    return batch


def _rid(request: HttpRequest) -> str:
    return str(request.META.get("REMPART_REQUEST_ID", ""))


@router.get("/release/cockpit", response=list[CockpitOut])
def cockpit(request: HttpRequest) -> list[dict[str, Any]]:
    """Each batch awaiting decision with only its exceptions."""
    _user(request, Action.REVIEW_BATCH_AUDIT_TRAIL)
    return [
        {
            "batch_number": row.batch.batch_number,
            "product_code": row.batch.product.code,
            "state": row.batch.state,
            "expected_release": row.expected_release,
            "exceptions": [
                {"code": e.code.value, "message": e.message, "items": list(e.items)}
                for e in row.exceptions
            ],
        }
        for row in services.cockpit()
    ]


@router.post("/release/batches/{number}/review", response={201: dict[str, str]})
def review(request: HttpRequest, number: str, payload: ReleaseSignIn) -> Status[Any]:
    user = _user(request, Action.REVIEW_BATCH_AUDIT_TRAIL)
    done = services.review_audit_trail(
        user,
        _batch(number),
        password=payload.password,
        totp_code=payload.totp_code,
        comment=payload.comment,
        request_id=_rid(request),
    )
    return Status(201, {"batch_number": number, "reviewer": done.reviewer_name})


def _decision(number: str, decision: Any) -> dict[str, Any]:
    return {
        "batch_number": number,
        "decision": decision.decision,
        "pharmacist": decision.pharmacist_name,
        "expiry_date": decision.expiry_date.isoformat() if decision.expiry_date else None,
    }


@router.post("/release/batches/{number}/release", response={201: DecisionOut})
def release(request: HttpRequest, number: str, payload: ReleaseSignIn) -> Status[Any]:
    user = _user(request, Action.RELEASE_BATCH)
    decision = services.release_batch(
        user,
        _batch(number),
        password=payload.password,
        totp_code=payload.totp_code,
        comment=payload.comment,
        request_id=_rid(request),
    )
    return Status(201, _decision(number, decision))


@router.post("/release/batches/{number}/reject", response={201: DecisionOut})
def reject(request: HttpRequest, number: str, payload: RejectIn) -> Status[Any]:
    user = _user(request, Action.RELEASE_BATCH)
    decision = services.reject_batch(
        user,
        _batch(number),
        password=payload.password,
        totp_code=payload.totp_code,
        reason=payload.reason,
        request_id=_rid(request),
    )
    return Status(201, _decision(number, decision))


class FilterTestIn(Schema):
    filter_lot: str
    method: str
    value: str
    limit: str
    unit: str
    password: str
    totp_code: str
    comment: str = ""


class FilterTestOut(Schema):
    id: int
    batch_number: str
    filter_lot: str
    method: str
    value: str
    limit: str
    unit: str
    passed: bool
    signatures: list[str]


def _filter_out(test: FilterIntegrityTest) -> dict[str, Any]:
    return {
        "id": test.pk,
        "batch_number": test.batch.batch_number,
        "filter_lot": test.filter_lot,
        "method": test.method,
        "value": f"{test.value.normalize():f}",
        "limit": f"{test.limit.normalize():f}",
        "unit": test.unit,
        "passed": test.passed,
        "signatures": [
            f"{s.signature.meaning} by {s.signature.printed_name} ({s.status})"
            for s in signatures_of(test)
        ],
    }


@router.post("/release/batches/{number}/filter-tests", response={201: FilterTestOut})
def record_filter_test(request: HttpRequest, number: str, payload: FilterTestIn) -> Status[Any]:
    """Record the batch's post-use filter integrity test, signed "performed"."""
    user = _user(request, Action.RUN_BATCH)
    test = filtration.record_filter_test(
        user,
        _batch(number),
        filter_lot=payload.filter_lot,
        method=payload.method,
        value=payload.value,
        limit=payload.limit,
        unit=payload.unit,
        comment=payload.comment,
        password=payload.password,
        totp_code=payload.totp_code,
        request_id=_rid(request),
    )
    return Status(201, _filter_out(test))


@router.post(
    "/release/batches/{number}/filter-tests/{test_id}/verify", response={200: FilterTestOut}
)
def verify_filter_test(
    request: HttpRequest, number: str, test_id: int, payload: ReleaseSignIn
) -> Status[Any]:
    """A second person verifies the test (signature "verified")."""
    user = _user(request, Action.RUN_BATCH)
    test = FilterIntegrityTest.objects.filter(pk=test_id, batch__batch_number=number).first()
    if test is None:
        raise NotFound(f"no filter test {test_id} for batch {number}", field="test_id")
    filtration.verify_filter_test(
        user, test, password=payload.password, totp_code=payload.totp_code, request_id=_rid(request)
    )
    return Status(200, _filter_out(test))
