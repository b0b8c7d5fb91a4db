"""The line dashboard (refreshed live by dashboard.js polling status.json), the site EM
alert limit sets (propose, approve by e-signature) and the line's media fills."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rempart.domain.roles import Action
from rempart.mes.accounts.backends import client_ip
from rempart.mes.core.errors import Refused
from rempart.mes.core.pages import current_user, request_id, requires
from rempart.mes.machine import limits
from rempart.mes.machine.dashboard import line_view, particle_chart
from rempart.mes.machine.models import MediaFill, ParticleLimitSet

REFRESH_S = 5


def _refused(request: HttpRequest, exc: Refused) -> None:
    messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)


@requires(Action.VIEW_MASTER_RECORDS)
def dashboard(request: HttpRequest) -> HttpResponse:
    view = line_view(request.GET.get("line", "LINE-1"))
    return render(
        request,
        "machine/dashboard.html",
        {"line": view, "chart": particle_chart(view), "refresh_s": REFRESH_S},
    )


@requires(Action.VIEW_MASTER_RECORDS)
def status_json(request: HttpRequest) -> JsonResponse:
    view = line_view(request.GET.get("line", "LINE-1"))
    return JsonResponse({**view.as_json(), "chart": particle_chart(view)})


@requires(Action.VIEW_MASTER_RECORDS)
def limit_sets(request: HttpRequest) -> HttpResponse:
    form: dict[str, Any] = {}
    if request.method == "POST":
        form = request.POST.dict()
        try:
            created = limits.propose_limit_set(current_user(request), form, request_id(request))
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"limit set {created.version} proposed")
            return redirect("machine:limits")
    return render(
        request,
        "machine/limits.html",
        {
            "sets": ParticleLimitSet.objects.all(),
            "in_force": limits.limits_in_force(),
            "annex1": limits.ANNEX1,
            "form": form,
        },
    )


@require_POST
@requires(Action.VIEW_MASTER_RECORDS)
def approve_limit_set(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(ParticleLimitSet, pk=pk)
    try:
        limits.approve_limit_set(
            current_user(request),
            row,
            password=request.POST.get("password", ""),
            totp_code=request.POST.get("totp_code", ""),
            meaning=request.POST.get("meaning", "approved"),
            request_id=request_id(request),
            ip=client_ip(request),
        )
    except Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"limit set {row.version} approved")
    return redirect("machine:limits")


@requires(Action.VIEW_MASTER_RECORDS)
def media_fills(request: HttpRequest) -> HttpResponse:
    form: dict[str, Any] = {}
    if request.method == "POST":
        form = request.POST.dict()
        try:
            limits.record_media_fill(current_user(request), form, request_id(request))
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, "media fill recorded")
            return redirect("machine:media_fills")
    return render(
        request, "machine/media_fills.html", {"fills": MediaFill.objects.all(), "form": form}
    )
