"""The line dashboard (refreshed by the page itself every few seconds) and its JSON."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from rempart.domain.roles import Action
from rempart.mes.core.pages import requires
from rempart.mes.machine.dashboard import line_view, particle_chart

REFRESH_S = 5


@requires(Action.VIEW_MASTER_RECORDS)
def dashboard(request: HttpRequest) -> HttpResponse:
    view = line_view(request.GET.get("line", "LINE-1"))
    return render(
        request,
        "machine/dashboard.html",
        {"line": view, "chart": particle_chart(view.particles), "refresh_s": REFRESH_S},
    )


@requires(Action.VIEW_MASTER_RECORDS)
def status_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(line_view(request.GET.get("line", "LINE-1")).as_json())
