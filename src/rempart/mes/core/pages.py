"""What every page view shares: the permission gate, refusals shown as messages, and the
404/500 pages (never a stack trace)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rempart.domain.roles import Action, may
from rempart.mes.accounts.models import User
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import Actor, AuditCaptureMissing
from rempart.mes.core.errors import Refused

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]


def request_id(request: HttpRequest) -> str:
    return str(request.META.get("REMPART_REQUEST_ID", ""))


def current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def request_actor(request: HttpRequest) -> Actor:
    return actor_for(current_user(request), request_id(request))


def requires(action: Action) -> Callable[[View[P]], View[P]]:
    """Log-in, then the role check of the permissions matrix; 403 page naming the reason."""

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            user = request.user
            if not isinstance(user, User) or not user.is_active:
                return redirect_to_login(request.get_full_path())
            if not may(user.role, action):
                return error_page(request, 403, f"the role {user.role} may not {action.value}")
            try:
                return view(request, *args, **kwargs)
            except AuditCaptureMissing as exc:
                return error_page(request, 503, str(exc))
            except Refused as exc:
                # Views show a refusal beside its form field; one they did not expect (the
                # column check before a save, say) still gets its status and message, not 500.
                return error_page(request, exc.status, str(exc))

        return cast(View[P], wrapper)

    return decorate


def error_page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404, "this page does not exist")


def server_error(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "error.html",
        {"status": 500, "message": "an internal error occurred; it has been logged"},
        status=500,
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403, "you may not do this")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400, "the request was not understood")


def context(**values: Any) -> dict[str, Any]:
    return values
