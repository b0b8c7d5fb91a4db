"""People: log-in and lockout, names, invitation and own password, sessions, headers."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django.db import DatabaseError, IntegrityError, transaction
from django.test import Client

from rempart.domain.roles import Role
from rempart.mes.accounts import lockout
from rempart.mes.accounts.models import User
from rempart.mes.accounts.services import authenticate_user, deactivate_user, invite_user
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.core.errors import Conflict, Refused

from .conftest import PASSWORD, World, make_user


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1") -> int:
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    return response.status_code


def test_login_page_logs_in_and_names_wrong_credentials(world: World) -> None:
    client = Client()
    assert _login(client, "TECH", PASSWORD) == 302  # user names are case-insensitive
    assert client.get("/").status_code == 200
    other = Client()
    response = other.post("/accounts/login/", {"username": "tech", "password": "bad"})
    assert response.status_code == 400
    assert "wrong user name or password" in response.content.decode()


def test_user_lockout_locks_that_user_only(world: World) -> None:
    terminal = Client()
    for _ in range(lockout.USER_LIMIT):
        assert _login(terminal, "tech", "wrong") == 400
    with pytest.raises(Refused, match="too many failed attempts for this user"):
        authenticate_user("tech", PASSWORD, "10.0.0.2")
    # A colleague on the same shared cleanroom terminal still logs in.
    assert _login(Client(), "qa", PASSWORD, ip="10.0.0.1") == 302


def test_address_lockout_stops_a_password_spray(world: World) -> None:
    for n in range(lockout.ADDRESS_LIMIT):
        with pytest.raises(Refused):
            authenticate_user(f"someone{n}", "guess", "10.9.9.9")
    with pytest.raises(Refused, match="from this terminal"):
        authenticate_user("qa", PASSWORD, "10.9.9.9")
    assert authenticate_user("qa", PASSWORD, "10.0.0.5").username == "qa"


def test_a_success_clears_the_user_counter(world: World) -> None:
    for _ in range(lockout.USER_LIMIT - 1):
        with pytest.raises(Refused):
            authenticate_user("tech", "wrong", "10.0.0.1")
    authenticate_user("tech", PASSWORD, "10.0.0.1")
    with pytest.raises(Refused, match="wrong user name"):
        authenticate_user("tech", "wrong", "10.0.0.1")


def test_deactivated_user_cannot_log_in(world: World) -> None:
    deactivate_user(world.users["admin"], world.users["technician"], "left the unit")
    with pytest.raises(Refused, match="wrong user name or password"):
        authenticate_user("tech", PASSWORD, "10.0.0.1")


def test_user_names_are_unique_case_insensitively(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user("TECH", Role.TECHNICIAN)
    with pytest.raises(Conflict, match="never reused"):
        invite_user(
            world.users["admin"], username="Tech", printed_name="X", role="technician", email=""
        )


def test_users_are_never_deleted(world: World) -> None:
    user = world.users["orderer_b"]  # nothing refers to this one: only the trigger stops it
    with (
        pytest.raises(DatabaseError, match="never deleted"),
        transaction.atomic(),
        audited_write(Actor.system("tests"), reason="cleanup"),
    ):
        user.delete()
    assert User.objects.filter(pk=user.pk).exists()


def test_invited_person_sets_their_own_password_once(world: World) -> None:
    admin = world.users["admin"]
    user = invite_user(
        admin,
        username="new.tech",
        printed_name="Nouveau Préparateur",
        role="technician",
        email="new.tech@example.org",
        set_password_url="http://testserver/accounts/set-password/",
    )
    assert not user.has_usable_password()
    [message] = mail.outbox
    link = re.search(r"http://testserver(/accounts/set-password/\S+/\S+/)", message.body)
    assert link is not None
    client = Client()
    weak = client.post(link.group(1), {"password1": "password123", "password2": "password123"})
    assert weak.status_code == 400
    assert "password1:" in weak.content.decode()  # the message is in the page language
    ok = client.post(
        link.group(1),
        {"password1": "Un-mot-de-passe-long-9", "password2": "Un-mot-de-passe-long-9"},
    )
    assert ok.status_code == 200
    assert user.totp_secret in ok.content.decode()
    assert client.get(link.group(1)).status_code == 400  # the link is spent
    assert authenticate_user("new.tech", "Un-mot-de-passe-long-9", None).pk == user.pk


def test_orderer_invitation_needs_a_hospital(world: World) -> None:
    with pytest.raises(Refused) as refusal:
        invite_user(world.users["admin"], username="o2", printed_name="O", role="orderer", email="")
    assert refusal.value.field == "hospital"
    assert not User.objects.filter(username="o2").exists()


def test_admin_has_no_way_to_set_a_password(world: World) -> None:
    client = Client()
    client.force_login(world.users["admin"])
    tech = world.users["technician"]
    page = client.get(f"/admin/accounts/user/{tech.pk}/change/")
    assert page.status_code == 200
    assert 'name="password' not in page.content.decode()
    # Django's UserAdmin has a password URL; this admin has none (the catch-all redirects).
    other = client.get(f"/admin/accounts/user/{tech.pk}/password/", follow=True)
    assert 'name="password1"' not in other.content.decode()
    response = client.post(
        "/api/users",
        {
            "username": "p1",
            "printed_name": "P",
            "role": "technician",
            "password": "Chosen-by-admin-1",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert not User.objects.get(username="p1").has_usable_password()


def test_admin_edits_reference_data_with_a_reason_and_never_deletes(world: World) -> None:
    client = Client()
    client.force_login(world.users["admin"])
    url = f"/admin/catalog/hospital/{world.hospital_a.pk}/change/"
    data = {
        "code": "CHU-LILLE",
        "name": "CHU de Lille (Huriez)",
        "town": "Lille",
        "department": "59",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "say why" in refused.content.decode()
    done = client.post(url, {**data, "change_reason": "official name"})
    assert done.status_code == 302
    world.hospital_a.refresh_from_db()
    assert world.hospital_a.name == "CHU de Lille (Huriez)"
    assert client.get(f"/admin/catalog/hospital/{world.hospital_a.pk}/delete/").status_code == 403
    assert client.get(f"/admin/catalog/masterrecord/{world.record.pk}/change/").status_code == 200
    assert (
        client.post(f"/admin/catalog/masterrecord/{world.record.pk}/change/", {}).status_code == 403
    )


def test_idle_and_absolute_session_timeouts(world: World, settings: object) -> None:
    client = Client()
    assert _login(client, "tech", PASSWORD) == 302
    session = client.session
    session["rempart_seen"] = time.time() - 16 * 60
    session.save()
    assert client.get("/").status_code == 302
    assert _login(client, "tech", PASSWORD) == 302
    session = client.session
    session["rempart_started"] = time.time() - 13 * 3600
    session.save()
    response = client.get("/catalog/products/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_security_headers_on_every_page(world: World) -> None:
    response = Client().get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert len(response["X-Request-ID"]) == 32
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_login_form_requires_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "tech", "password": PASSWORD})
    assert response.status_code == 403
