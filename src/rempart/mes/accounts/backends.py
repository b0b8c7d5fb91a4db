"""The authentication backend: the lockout-aware check of `services.authenticate_user`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from rempart.mes.accounts.models import User
from rempart.mes.core.errors import Refused


def client_ip(request: HttpRequest | None) -> str | None:
    return None if request is None else request.META.get("REMOTE_ADDR") or None


class LockoutBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        from rempart.mes.accounts.services import authenticate_user

        try:
            return authenticate_user(username or "", password or "", client_ip(request))
        except Refused:
            return None
