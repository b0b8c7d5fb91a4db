"""People: who am I, my qualifications, recording a qualification, inviting a person."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from rempart.domain.roles import Action
from rempart.mes.accounts import services
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.core.pages import request_id

router = Router(tags=["people"])


class QualificationOut(Schema):
    kind: str
    product: str | None
    valid_from: date
    valid_until: date
    evidence: str


class MeOut(Schema):
    username: str
    printed_name: str
    role: str
    hospital: str | None
    qualifications: list[QualificationOut]


class QualificationIn(Schema):
    username: str
    kind: str
    valid_from: date
    valid_until: date
    evidence: str
    product: str = ""


class InviteIn(Schema):
    username: str
    printed_name: str
    role: str
    email: str = ""
    hospital: str = ""


class UserOut(Schema):
    username: str
    printed_name: str
    role: str
    is_active: bool


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _qualifications(user: User) -> list[QualificationOut]:
    return [
        QualificationOut(
            kind=q.kind,
            product=q.product.code if q.product else None,
            valid_from=q.valid_from,
            valid_until=q.valid_until,
            evidence=q.evidence,
        )
        for q in user.qualifications.select_related("product")
    ]


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> MeOut:
    user = _user(request)
    return MeOut(
        username=user.username,
        printed_name=user.printed_name,
        role=user.role,
        hospital=user.hospital.code if user.hospital else None,
        qualifications=_qualifications(user),
    )


@router.get("/me/qualifications", response=list[QualificationOut])
def my_qualifications(request: HttpRequest) -> list[QualificationOut]:
    return _qualifications(require(_user(request), Action.VIEW_OWN_QUALIFICATIONS))


@router.post("/qualifications", response={201: QualificationOut})
def record_qualification(
    request: HttpRequest, payload: QualificationIn
) -> Status[QualificationOut]:
    recorder = require(_user(request), Action.RECORD_QUALIFICATION)
    person = get_object_or_404(User, username__iexact=payload.username)
    q = services.record_qualification(
        recorder,
        person,
        kind=payload.kind,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
        evidence=payload.evidence,
        product_code=payload.product,
        request_id=request_id(request),
    )
    return Status(
        201,
        QualificationOut(
            kind=q.kind,
            product=q.product.code if q.product else None,
            valid_from=q.valid_from,
            valid_until=q.valid_until,
            evidence=q.evidence,
        ),
    )


@router.post("/users", response={201: UserOut})
def invite(request: HttpRequest, payload: InviteIn) -> Status[UserOut]:
    """Invite a person: they receive a link to set their own password (never the admin)."""
    user = services.invite_user(
        _user(request),
        username=payload.username,
        printed_name=payload.printed_name,
        role=payload.role,
        email=payload.email,
        hospital_code=payload.hospital,
        set_password_url=request.build_absolute_uri("/accounts/set-password/"),
        request_id=request_id(request),
    )
    return Status(
        201,
        UserOut(
            username=user.username, printed_name=user.printed_name, role=user.role, is_active=True
        ),
    )


class DeactivateIn(Schema):
    reason: str


@router.post("/users/{username}/deactivate", response=UserOut)
def deactivate(request: HttpRequest, username: str, payload: DeactivateIn) -> UserOut:
    person = get_object_or_404(User, username__iexact=username)
    services.deactivate_user(_user(request), person, payload.reason, request_id(request))
    return UserOut(
        username=person.username,
        printed_name=person.printed_name,
        role=person.role,
        is_active=False,
    )
