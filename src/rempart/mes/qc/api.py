"""JSON API routes of the qc app (mounted under /api/): samples with their results, and
entering a result. Errors are JSON `{"message", "field"}`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.core.errors import NotFound
from rempart.mes.qc import services
from rempart.mes.qc.facts import qc_results_table
from rempart.mes.qc.models import QcSample

router = Router(tags=["qc"])


class SampleOut(Schema):
    sample_id: str
    batch_number: str
    test: str
    units: int
    status: str
    incubation_days: int
    result: str | None
    result_status: str | None
    specification_version: int | None


class ResultIn(Schema):
    value: str
    comment: str = ""


class ResultOut(Schema):
    sample_id: str
    value: str
    status: str
    specification_version: int
    limits: str
    analyst: str
    deviation: str


def _user(request: HttpRequest, action: Action) -> User:
    user = request.user
    assert isinstance(user, User)
    return require(user, action)


def _sample_out(sample: QcSample) -> dict[str, Any]:
    result = getattr(sample, "result", None)
    return {
        "sample_id": sample.sample_id,
        "batch_number": sample.batch.batch_number,
        "test": sample.kind,
        "units": sample.units,
        "status": sample.status,
        "incubation_days": sample.incubation_days,
        "result": result.value if result else None,
        "result_status": result.status if result else None,
        "specification_version": result.specification.version if result else None,
    }


@router.get("/qc/samples", response=list[SampleOut])
def samples(
    request: HttpRequest, batch: str | None = None, waiting: bool = False
) -> list[dict[str, Any]]:
    """Samples, newest batches first; `batch` narrows to one batch, `waiting` to samples
    still without a result."""
    _user(request, Action.VIEW_MASTER_RECORDS)
    query = QcSample.objects.select_related("batch", "result__specification").order_by(
        "-batch_id", "id"
    )
    if batch:
        query = query.filter(batch__batch_number=batch)
    if waiting:
        query = query.filter(result__isnull=True).exclude(kind="retention")
    return [_sample_out(s) for s in query[:500]]


@router.get("/qc/batches/{number}/results")
def batch_results(request: HttpRequest, number: str) -> list[dict[str, str]]:
    """The QC results table of one batch (one row per sample × test)."""
    _user(request, Action.VIEW_MASTER_RECORDS)
    sample = QcSample.objects.select_related("batch").filter(batch__batch_number=number).first()
    if sample is None:
        raise NotFound(f"no QC sample for batch {number}", field="number")
    return qc_results_table(sample.batch)


@router.post("/qc/samples/{sample_id}/result", response={201: ResultOut})
def enter_result(request: HttpRequest, sample_id: str, payload: ResultIn) -> Status[Any]:
    user = _user(request, Action.RECORD_QC_RESULT)
    sample = QcSample.objects.filter(sample_id=sample_id).first()
    if sample is None:
        raise NotFound(f"no sample {sample_id}", field="sample_id")
    result = services.enter_result(
        user,
        sample,
        payload.value,
        comment=payload.comment,
        request_id=str(request.META.get("REMPART_REQUEST_ID", "")),
    )
    return Status(
        201,
        {
            "sample_id": sample.sample_id,
            "value": result.value,
            "status": result.status,
            "specification_version": result.specification.version,
            "limits": result.specification.limits_text,
            "analyst": result.analyst_name,
            "deviation": result.deviation_number,
        },
    )
