"""Every API error is JSON with a message: refusals, validation, auth, 404 and the rest.

Handlers take `exc: Any` because ninja's annotation for them is looser than the exception
they are registered for; each is registered for exactly one exception class.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from rempart.mes.audit.context import AuditCaptureMissing
from rempart.mes.core.errors import Refused

log = logging.getLogger("rempart.api")


def install_handlers(api: NinjaAPI) -> None:
    def refused(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(
            request, {"message": exc.message, "field": exc.field}, status=exc.status
        )

    def invalid(request: HttpRequest, exc: Any) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        location = [str(p) for p in first.get("loc", ()) if p not in ("body", "payload", "query")]
        field = ".".join(location) or None
        message = f"{field}: {first.get('msg', 'invalid input')}" if field else "invalid input"
        return api.create_response(
            request, {"message": message, "field": field, "errors": exc.errors}, status=422
        )

    def unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"message": "log in first", "field": None}, status=401)

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"message": "not found", "field": None}, status=404)

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(
            request, {"message": str(exc), "field": None}, status=exc.status_code
        )

    def capture_missing(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"message": str(exc), "field": None}, status=503)

    def internal(request: HttpRequest, exc: Any) -> HttpResponse:
        log.exception("API error on %s", request.path)
        return api.create_response(
            request, {"message": "internal error; it has been logged", "field": None}, status=500
        )

    api.add_exception_handler(Refused, refused)
    api.add_exception_handler(NinjaValidationError, invalid)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(AuditCaptureMissing, capture_missing)
    api.add_exception_handler(Exception, internal)
