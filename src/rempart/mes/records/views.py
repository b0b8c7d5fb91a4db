"""The batch record document: GET /records/<batch number>.pdf and .json.

Permission: `VIEW_AUDIT_TRAIL` (pharmacist, QA reviewer). The document carries every audit
entry of the batch's records, which the audit trail page shows to these roles only; giving
it to everyone who may see the batch page (`VIEW_MASTER_RECORDS`) would open the trail to
technicians and QC analysts by another door.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from rempart.domain.roles import Action
from rempart.mes.batches.models import Batch
from rempart.mes.core.pages import error_page, requires
from rempart.mes.records import render


def _batch(number: str) -> Batch | None:
    return Batch.objects.filter(batch_number=number).first()


def _language(request: HttpRequest) -> str:
    chosen = request.GET.get("lang", "")
    if chosen in ("fr", "en"):
        return chosen
    return str(getattr(request, "LANGUAGE_CODE", "fr") or "fr")[:2]


@requires(Action.VIEW_AUDIT_TRAIL)
def record_pdf(request: HttpRequest, number: str) -> HttpResponse:
    batch = _batch(number)
    if batch is None:
        return error_page(request, 404, f"no batch {number}")
    response = HttpResponse(
        render.as_pdf(batch, _language(request)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="batch-record-{number}.pdf"'
    return response


@requires(Action.VIEW_AUDIT_TRAIL)
def record_json(request: HttpRequest, number: str) -> HttpResponse:
    batch = _batch(number)
    if batch is None:
        return JsonResponse({"message": f"no batch {number}", "field": "number"}, status=404)
    response = HttpResponse(render.as_json(batch), content_type="application/json")
    response["Content-Disposition"] = f'inline; filename="batch-record-{number}.json"'
    return response
