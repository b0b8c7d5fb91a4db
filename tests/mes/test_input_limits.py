"""Text no column can hold is refused with a clear error on SQLite and PostgreSQL alike.

PostgreSQL refuses NUL characters in any query and enforces `max_length`; SQLite does
neither. Both reached API clients as errors 500 on PostgreSQL only (core/middleware.py
`RefuseNul`, core/columns.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.catalog.models import Hospital
from rempart.mes.core.errors import Refused

from .conftest import Persona, World


def test_a_nul_in_the_path_or_a_parameter_is_refused_not_looked_up(pharmacist: Persona) -> None:
    api = pharmacist.client.get("/api/batches/B%00-1")
    assert (api.status_code, api.json()) == (
        400,
        {"message": "NUL characters are not accepted", "field": "path"},
    )
    page = pharmacist.client.get("/batches/", {"q": "a\x00"})
    assert page.status_code == 400
    assert "NUL characters are not accepted (q)" in page.content.decode()


def test_a_nul_in_a_json_or_form_field_is_refused_naming_it(
    orderer_a: Persona, world: World
) -> None:
    body = {"lines": [{"product": "ROCU\x00", "quantity": 5}], "note": ""}
    response = orderer_a.client.post("/api/orders", body, content_type="application/json")
    assert (response.status_code, response.json()["field"]) == (400, "lines.0.product")
    form = orderer_a.client.post("/stock/orders/new/", {"note": "urgent\x00"})
    assert form.status_code == 400
    assert "(note)" in form.content.decode()


def test_text_longer_than_its_column_or_with_a_nul_is_refused_before_any_write(
    world: World,
) -> None:
    actor = Actor("user:1:t", "Test", "pharmacist", "r-1")
    for changes, field in (({"code": "H" * 41}, "code"), ({"name": "CH\x00X"}, "name")):
        values = {"code": "CH-NEW", "name": "CH New", "town": "Lens", "department": "62"}
        with pytest.raises(Refused) as caught, audited_write(actor):
            Hospital.objects.create(**{**values, **changes})
        assert caught.value.field == field
        assert "characters" in caught.value.message
    assert not Hospital.objects.filter(town="Lens").exists()


def test_numbers_a_column_cannot_hold_are_refused_before_any_write(world: World) -> None:
    from datetime import date
    from decimal import Decimal

    from rempart.mes.machine.models import MediaFill

    actor = Actor("user:1:t", "Test", "qa_reviewer", "r-1")
    values = {
        "line_id": "LINE-1",
        "performed_on": date(2026, 1, 5),
        "interventions": "fill_weight_check",
        "max_batch_vials": 5000,
        "max_duration_h": Decimal("8.00"),
        "recorded_by": "Test",
    }
    for changes, field, why in (
        ({"max_batch_vials": 2**40}, "max_batch_vials", "from 0 to 2,147,483,647"),
        ({"max_batch_vials": -1}, "max_batch_vials", "from 0 to"),
        ({"max_duration_h": Decimal("1000")}, "max_duration_h", "at most 3 digits before"),
        ({"max_duration_h": Decimal("999.999")}, "max_duration_h", "at most 3 digits before"),
        ({"max_duration_h": Decimal("NaN")}, "max_duration_h", "finite"),
    ):
        with pytest.raises(Refused, match=why) as caught, audited_write(actor):
            MediaFill.objects.create(**{**values, **changes})
        assert caught.value.field == field
    assert not MediaFill.objects.exists()
    with audited_write(actor):  # extra decimals are rounded, as Django does on both databases
        MediaFill.objects.create(**{**values, "max_duration_h": Decimal("999.994")})
    assert MediaFill.objects.get().max_duration_h == Decimal("999.99")


def test_a_refusal_no_view_expected_is_a_page_with_its_status(world: World) -> None:
    from django.http import HttpRequest, HttpResponse
    from django.test import RequestFactory

    from rempart.domain.roles import Action
    from rempart.mes.core.errors import Conflict
    from rempart.mes.core.pages import requires

    @requires(Action.VIEW_MASTER_RECORDS)
    def refusing(request: HttpRequest, error: Refused) -> HttpResponse:
        raise error

    request = RequestFactory().get("/anything/")
    request.user = world.users["pharmacist"]
    page = refusing(request, Refused("at most 60 characters, got 61", field="cycle_id"))
    assert page.status_code == 400
    assert "cycle_id: at most 60 characters, got 61" in page.content.decode()
    assert refusing(request, Conflict("changed meanwhile")).status_code == 409


def test_a_json_body_nested_thousands_deep_is_refused_not_a_crash(orderer_a: Persona) -> None:
    # The API's JSON parser raised RecursionError on it: an error 500.
    for body in ("[" * 5000 + "]" * 5000, '{"lines": ' + "[" * 100 + "]" * 100 + ', "note": ""}'):
        response = orderer_a.client.post("/api/orders", body, content_type="application/json")
        assert (response.status_code, response.json()) == (
            400,
            {"message": "the JSON body is nested deeper than 64 levels", "field": None},
        )


def test_a_body_over_the_limit_is_refused_before_it_is_read(
    world: World, pharmacist: Persona, orderer_a: Persona, settings: Any
) -> None:
    # Django spooled an upload of any size to disk; the limit is 32 MB, 1 MB here.
    settings.REMPART_MAX_REQUEST_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("results.csv", b"sample_id,value\n" + b"x" * 2_000_000)
    page = pharmacist.client.post("/qc/import", {"file": upload})
    assert page.status_code == 413
    assert "larger than 1 MB" in page.content.decode()
    body = '{"lines": [], "note": "' + "n" * 2_000_000 + '"}'
    api = orderer_a.client.post("/api/orders", body, content_type="application/json")
    assert (api.status_code, api.json()) == (
        413,
        {"message": "the request is larger than 1 MB", "field": None},
    )
    small = orderer_a.client.post("/api/orders", {"lines": []}, content_type="application/json")
    assert small.status_code != 413
