"""Server-side permission checks, from the matrix in `rempart.domain.roles`."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from rempart.domain.roles import Action, Role, may
from rempart.mes.accounts.models import User
from rempart.mes.catalog.models import Hospital
from rempart.mes.core.errors import NotPermitted

AnyUser = User | AnonymousUser


def allowed(user: AnyUser, action: Action) -> bool:
    return isinstance(user, User) and user.is_active and may(user.role, action)


def require(user: AnyUser, action: Action) -> User:
    """The user, when active and allowed to `action`; `NotPermitted` saying why otherwise."""
    if not isinstance(user, User) or not user.is_active:
        raise NotPermitted("log in first")
    if not may(user.role, action):
        raise NotPermitted(f"the role {user.role} may not {action.value.replace('_', ' ')}")
    return user


def visible_hospitals(user: User) -> QuerySet[Hospital]:
    """Object-level scope: an orderer sees their own hospital only."""
    hospitals = Hospital.objects.all()
    if user.role == Role.ORDERER:
        if user.hospital_id is None:
            return hospitals.none()
        return hospitals.filter(pk=user.hospital_id)
    return hospitals
