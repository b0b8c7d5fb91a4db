"""Views of the core app."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from rempart import __version__
from rempart.mes.core.health import run_checks


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 when every health check passes, 503 with the problems otherwise."""
    problems = run_checks()
    return JsonResponse(
        {
            "status": "ok" if not problems else "failing",
            "problems": problems,
            "database": connection.vendor,
            "version": __version__,
        },
        status=200 if not problems else 503,
    )
