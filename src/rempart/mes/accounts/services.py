"""Use cases for people: log-in, invitation, password set by its holder, roles, qualifications.

An administrator invites a person; the person sets their own password through a one-time
link sent to them (the administrator never sees or sets it, DOMAIN.md §6 item 11).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

import pyotp
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from rempart.domain.errors import DomainError
from rempart.domain.qualification import (
    Held,
    QualificationKind,
    Requirement,
    check_validity_dates,
    missing_qualifications,
)
from rempart.domain.roles import Action, Role
from rempart.mes.accounts import lockout
from rempart.mes.accounts.models import Qualification, User
from rempart.mes.accounts.permissions import require
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.catalog.models import Hospital, Product
from rempart.mes.core.errors import Conflict, NotFound, Refused


def actor_for(user: User, request_id: str = "") -> Actor:
    return Actor(f"user:{user.pk}:{user.username}", user.printed_name, user.role, request_id)


def _now() -> datetime:
    return datetime.now(UTC)


def authenticate_user(username: str, password: str, ip: str | None) -> User:
    """The active user with this name and password, or `Refused` saying why (locked out, or
    a deliberately vague 'wrong user name or password'). Failures count towards lockout."""
    if not username.strip() or not password:
        raise Refused("enter your user name and password", field="username")
    now = _now()
    locked = lockout.lock_reason(username, ip, now)
    if locked:
        raise Refused(locked, field="username")
    try:
        user = User.objects.get_by_natural_key(username.strip())
    except User.DoesNotExist:
        User().set_password(password)  # same work as a real check: no user-name oracle
        user = None
    if user is None or not user.check_password(password) or not user.is_active:
        lockout.record_failure(username, ip, now)
        raise Refused("wrong user name or password", field="password")
    lockout.record_success(username)
    return user


def check_password_again(user: User, password: str, ip: str | None) -> None:
    """Re-authentication for a signature: the same lockout as a log-in."""
    if not password:
        raise Refused("enter your password to sign", field="password")
    locked = lockout.lock_reason(user.username, ip, _now())
    if locked:
        raise Refused(locked, field="password")
    if not user.check_password(password):
        lockout.record_failure(user.username, ip, _now())
        raise Refused("wrong password", field="password")


def invite_user(
    admin: User,
    *,
    username: str,
    printed_name: str,
    role: str,
    email: str,
    hospital_code: str = "",
    set_password_url: str = "",
    request_id: str = "",
) -> User:
    """Create a person without a usable password and mail them a one-time set-password link."""
    require(admin, Action.MANAGE_USERS)
    username = username.strip()
    if not username or not all(c.isalnum() or c in "._-" for c in username):
        raise Refused("letters, digits, '.', '_' and '-' only", field="username")
    if not printed_name.strip():
        raise Refused("the printed name appears on every signature: enter it", field="printed_name")
    try:
        role_value = Role(role)
    except ValueError:
        raise Refused(f"unknown role {role!r}", field="role") from None
    hospital = None
    if role_value is Role.ORDERER:
        hospital = Hospital.objects.filter(code=hospital_code).first()
        if hospital is None:
            raise Refused("an orderer belongs to one hospital: choose it", field="hospital")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("this user name is taken (names are never reused)", field="username")
    user = User(
        username=username,
        printed_name=printed_name.strip(),
        role=role_value.value,
        email=email.strip(),
        hospital=hospital,
        totp_secret=pyotp.random_base32(),
    )
    user.set_unusable_password()
    try:
        with audited_write(actor_for(admin, request_id), reason="user invited"):
            user.save()
    except IntegrityError:
        raise Conflict(
            "this user name is taken (names are never reused)", field="username"
        ) from None
    if user.email:
        send_mail(
            "rempart: set your password",
            f"Set your password at {set_password_url}{password_link(user)}",
            None,
            [user.email],
        )
    return user


def password_link(user: User) -> str:
    """`<uid>/<token>/`: valid until the password is set (the token hashes the password)."""
    return (
        f"{urlsafe_base64_encode(force_bytes(user.pk))}/{default_token_generator.make_token(user)}/"
    )


def user_for_link(uidb64: str, token: str) -> User:
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, User.DoesNotExist):
        raise NotFound("this link is not valid") from None
    if not default_token_generator.check_token(user, token):
        raise Refused("this link was already used or has expired", field="token")
    return user


def set_own_password(
    uidb64: str, token: str, password: str, again: str, request_id: str = ""
) -> User:
    """The holder of a valid link sets their password; the link then stops working."""
    user = user_for_link(uidb64, token)
    if password != again:
        raise Refused("the two passwords differ", field="password2")
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Refused(" ".join(exc.messages), field="password1") from None
    user.set_password(password)
    with audited_write(actor_for(user, request_id), reason="password set by its holder"):
        user.save(update_fields=["password"])
    return user


def deactivate_user(admin: User, user: User, reason: str, request_id: str = "") -> None:
    require(admin, Action.MANAGE_USERS)
    if not reason.strip():
        raise Refused("say why the account is deactivated", field="reason")
    if user.pk == admin.pk:
        raise Refused("an administrator cannot deactivate their own account", field="user")
    user.is_active = False
    with audited_write(actor_for(admin, request_id), reason=reason):
        user.save(update_fields=["is_active"])


def record_qualification(
    recorder: User,
    user: User,
    *,
    kind: str,
    valid_from: date,
    valid_until: date,
    evidence: str,
    product_code: str = "",
    request_id: str = "",
) -> Qualification:
    require(recorder, Action.RECORD_QUALIFICATION)
    try:
        kind_value = QualificationKind(kind)
    except ValueError:
        raise Refused(f"unknown qualification {kind!r}", field="kind") from None
    try:
        check_validity_dates(valid_from, valid_until)
    except DomainError as exc:
        raise Refused(exc.message, field=exc.field) from None
    product = None
    if kind_value is QualificationKind.MASTER_RECORD_TRAINING:
        product = Product.objects.filter(code=product_code).first()
        if product is None:
            raise Refused("a record training names its product", field="product")
    if not evidence.strip():
        raise Refused("name the evidence (media fill run, training session)", field="evidence")
    qualification = Qualification(
        user=user,
        kind=kind_value.value,
        product=product,
        valid_from=valid_from,
        valid_until=valid_until,
        evidence=evidence.strip(),
    )
    with audited_write(actor_for(recorder, request_id)):
        qualification.save()
    return qualification


def held(user: User) -> list[Held]:
    return [
        Held(
            QualificationKind(q.kind),
            q.valid_from,
            q.valid_until,
            q.product.code if q.product else "",
        )
        for q in user.qualifications.select_related("product")
    ]


def qualification_problems(user: User, required: Iterable[Requirement], on: date) -> list[str]:
    return missing_qualifications(held(user), required, on)
