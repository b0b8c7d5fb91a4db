"""Deviation pages: the list (filter by status), a deviation opened by hand (classification,
batches concerned), the detail with its signatures, and QA's signed closure with the
investigation and CAPA reference. Views parse, call one service and redirect."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rempart.domain.roles import Action
from rempart.mes.core.errors import Refused
from rempart.mes.core.pages import current_user, request_id, requires
from rempart.mes.quality.models import CLASSIFICATIONS, Deviation
from rempart.mes.quality.services import close_deviation, open_deviation
from rempart.mes.signatures.services import signatures_of


def _refused(request: HttpRequest, exc: Refused) -> None:
    messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)


def batch_numbers(raw: str) -> list[str]:
    """Batch numbers typed separated by commas, blanks or new lines."""
    return [n for n in raw.replace(",", " ").split() if n]


@requires(Action.VIEW_MASTER_RECORDS)
def deviation_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    deviations = Deviation.objects.prefetch_related("batches")
    if status in ("open", "closed"):
        deviations = deviations.filter(status=status)
    return render(
        request,
        "quality/deviations.html",
        {"deviations": deviations[:300], "status": status},
    )


@requires(Action.VIEW_MASTER_RECORDS)
def new_deviation(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            deviation = open_deviation(
                current_user(request),
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
                classification=request.POST.get("classification", ""),
                batch_numbers=batch_numbers(request.POST.get("batch_numbers", "")),
                request_id=request_id(request),
            )
        except Refused as exc:
            _refused(request, exc)
        else:
            return redirect("quality:deviation", pk=deviation.pk)
    return render(
        request,
        "quality/new_deviation.html",
        {
            "classifications": CLASSIFICATIONS,
            "post": request.POST,
            "batch": request.GET.get("batch", ""),
        },
    )


@requires(Action.VIEW_MASTER_RECORDS)
def deviation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deviation = get_object_or_404(Deviation.objects.prefetch_related("batches"), pk=pk)
    return render(
        request,
        "quality/deviation.html",
        {
            "d": deviation,
            "signatures": signatures_of(deviation),
            "may_close": current_user(request).role == "qa_reviewer",
        },
    )


@require_POST
@requires(Action.VIEW_MASTER_RECORDS)
def close(request: HttpRequest, pk: int) -> HttpResponse:
    deviation = get_object_or_404(Deviation, pk=pk)
    try:
        close_deviation(
            current_user(request),
            deviation,
            investigation=request.POST.get("investigation", ""),
            capa_reference=request.POST.get("capa_reference", ""),
            password=request.POST.get("password", ""),
            totp_code=request.POST.get("totp_code", ""),
            request_id=request_id(request),
        )
    except Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"{deviation.number} closed")
    return redirect("quality:deviation", pk=pk)
