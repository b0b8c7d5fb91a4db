"""Batch pages: the list and the electronic batch record."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from rempart.domain.roles import Action
from rempart.mes.batches.models import Batch
from rempart.mes.batches.record import batch_record
from rempart.mes.core.pages import requires


@requires(Action.VIEW_MASTER_RECORDS)
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = Batch.objects.select_related("product")[:200]
    return render(request, "batches/list.html", {"batches": batches})


@requires(Action.VIEW_MASTER_RECORDS)
def record(request: HttpRequest, number: str) -> HttpResponse:
    batch = get_object_or_404(
        Batch.objects.select_related(
            "product__vial_format",
            "product__molecule",
            "master_record",
            "decontamination",
            "format_parts__vial_format",
        ),
        batch_number=number,
    )
    return render(request, "batches/record.html", {"r": batch_record(batch)})
