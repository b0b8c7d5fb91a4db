"""Request id, NUL characters and over-deep JSON refused, security headers (CSP), session
timeouts."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse

from rempart.domain import json_text

Handler = Callable[[HttpRequest], HttpResponse]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

#: Everything is served from this origin; no inline script, no CDN (cleanroom terminals are
#: often offline). Django 5.2 has no CSP setting, hence this small middleware.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: Swagger UI (bundled with django-ninja, served locally) needs inline script and style.
CSP_API_DOCS = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class RequestId:
    """Tag each request with an id (kept from a trusted proxy's header when well formed);
    the id goes into the audit entries the request causes and into the response headers."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        request.META["REMPART_REQUEST_ID"] = request_id
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class _TooDeep(Exception):
    """A JSON body nested deeper than `json_text.MAX_DEPTH`."""


def _field_with_nul(request: HttpRequest) -> str | None:
    """Where the request carries a NUL character: the path, a parameter, a form or JSON field.

    Raises `_TooDeep` for a JSON body nested too deeply to read (the JSON parser of the API
    and the NUL search would fail on it with a RecursionError: an error 500).
    """
    if "\x00" in request.path:
        return "path"
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in v for v in values):
            return name
    content_type = request.content_type or ""
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if content_type == "application/json":
            try:
                decoded = json_text.loads(request.body or b"null")
            except json.JSONDecodeError as exc:
                if exc.msg.startswith("nested deeper"):
                    raise _TooDeep(exc.msg) from None
                return None  # the API says the body cannot be parsed
            except ValueError:
                return None  # not UTF-8: likewise
            return json_text.nul_path(decoded)
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, values in request.POST.lists():  # uploaded files are not read here
                if "\x00" in name or any("\x00" in v for v in values):
                    return name
    return None


class RefuseNul:
    """Refuse any request whose path, parameters or fields hold a NUL character, or whose
    JSON body nests deeper than `json_text.MAX_DEPTH` levels.

    No text in rempart can hold a NUL, and PostgreSQL refuses it in any query, even a lookup
    (`GET /api/batches/%00` was an error 500 there, a 404 on SQLite). A body of a few
    thousand nested `[` made the API's JSON parser fail with a RecursionError (an error 500).
    The API gets its JSON error, a page the 400 page.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            field = _field_with_nul(request)
        except _TooDeep as exc:
            message, field = f"the JSON body is {exc}", ""
        else:
            if field is None:
                return self.get_response(request)
            message = "NUL characters are not accepted"
        if request.path.startswith("/api/"):
            return JsonResponse({"message": message, "field": field or None}, status=400)
        from rempart.mes.core.pages import error_page

        return error_page(request, 400, f"{message} ({field})" if field else message)


class RefuseLargeBodies:
    """Answer 413 to a request whose body is larger than `REMPART_MAX_REQUEST_BYTES`, before
    anything reads it. Django bounds form fields (2.5 MB) but not uploaded files, which it
    spools to disk whatever their size; rempart's largest upload, the BDPM list of
    major-therapeutic-interest medicines, is about 1.2 MB."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = int(settings.REMPART_MAX_REQUEST_BYTES)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body it cannot measure
        if length <= limit:
            return self.get_response(request)
        message = f"the request is larger than {limit // (1024 * 1024)} MB"
        if request.path.startswith("/api/"):
            return JsonResponse({"message": message, "field": None}, status=413)
        from rempart.mes.core.pages import error_page

        return error_page(request, 413, message)


class SecurityHeaders:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = CSP_API_DOCS if request.path.startswith("/api/docs") else CSP
        response.setdefault("Content-Security-Policy", policy)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cache-Control", "no-store")
        return response


class SessionTimeout:
    """Log out after `SESSION_IDLE_SECONDS` without activity, and after `SESSION_COOKIE_AGE`
    since log-in whatever the activity (a terminal left open in the cleanroom)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = float(request.session.setdefault("rempart_started", now))
            seen = float(request.session.get("rempart_seen", now))
            idle = now - seen > settings.SESSION_IDLE_SECONDS
            expired = now - started > settings.SESSION_COOKIE_AGE
            if idle or expired:
                logout(request)
                request.session["rempart_timed_out"] = "idle" if idle else "absolute"
            else:
                request.session["rempart_seen"] = now
        return self.get_response(request)
