"""The shortage watch pages: who may see and upload, the upload form, the home block."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rempart.mes.catalog.models import Product
from rempart.mes.supply.models import BdpmImport, ConsumptionForecast

from ..conftest import Persona, World
from .conftest import shipped_files
from .test_import import BAD_LINE_3, GOOD


def _upload(client: Client, *files: tuple[str, bytes], skip: bool = False) -> object:
    data: dict[str, object] = {
        "bdpm_files": [SimpleUploadedFile(name, content) for name, content in files]
    }
    if skip:
        data["skip_bad_lines"] = "on"
    return client.post("/supply/import/", data)


def test_pharmacist_uploads_several_files(pharmacist: Persona, mivacurium: Product) -> None:
    # Files are stored in order; the last availability file is the current state.
    response = _upload(pharmacist.client, ("extra.txt", GOOD.encode()), *shipped_files())
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert BdpmImport.objects.count() == 3
    page = pharmacist.client.get("/supply/")
    text = page.content.decode()
    assert "CIS_CIP_Dispo_Spec.txt : 945 lignes importées" in text  # French by default
    assert "mivacurium (M03AC10) — Tension d&#x27;approvisionnement" in text
    assert "MIVA-2-5" in text  # the open alert


def test_a_bad_file_is_named_and_nothing_stored(qa: Persona) -> None:
    response = _upload(qa.client, ("good.txt", GOOD.encode()), ("bad.txt", BAD_LINE_3.encode()))
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "bad.txt, line 3: status code" in response.content.decode()  # type: ignore[attr-defined]
    assert not BdpmImport.objects.exists()
    response = _upload(qa.client, ("bad.txt", BAD_LINE_3.encode()), skip=True)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert BdpmImport.objects.get().skipped_lines[0]["line"] == 3


def test_who_may_upload(
    world: World, technician: Persona, orderer_a: Persona, outsider: Client
) -> None:
    for client in (technician.client, orderer_a.client):
        assert client.get("/supply/import/").status_code == 403
        assert _upload(client, ("a.txt", GOOD.encode())).status_code == 403  # type: ignore[attr-defined]
    response = _upload(outsider, ("a.txt", GOOD.encode()))
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert "/accounts/login/" in response["Location"]  # type: ignore[index]
    assert not BdpmImport.objects.exists()
    assert technician.client.get("/supply/").status_code == 200
    assert orderer_a.client.get("/supply/").status_code == 403
    assert technician.client.get("/supply/inputs/").status_code == 403


def test_forecast_page_and_home_block(pharmacist: Persona, world: World) -> None:
    today = datetime.now(UTC).date().isoformat()
    response = pharmacist.client.post(
        "/supply/inputs/",
        {
            "form": "forecast",
            "hospital": world.hospital_a.pk,
            "product": world.product.pk,
            "vials_per_day": "12",
            "valid_from": today,
        },
    )
    assert response.status_code == 302
    assert ConsumptionForecast.objects.get().vials_per_day == 12
    bad = pharmacist.client.post(
        "/supply/inputs/", {"form": "stock", "hospital": world.hospital_a.pk}
    )
    assert bad.status_code == 400
    home = pharmacist.client.get("/").content.decode()
    assert 'id="supply-alerts"' in home
    assert "regional cover 0.0 days" in home


def test_the_home_block_is_for_those_who_see_the_watch(
    orderer_a: Persona, technician: Persona
) -> None:
    assert 'id="supply-alerts"' not in orderer_a.client.get("/").content.decode()
    home = technician.client.get("/").content.decode()
    assert 'id="supply-alerts"' in home
    assert 'href="/supply/"' in home


def test_the_watch_speaks_french_by_default_and_english_on_request(technician: Persona) -> None:
    french = technician.client.get("/supply/").content.decode()
    assert "<h1>Veille des ruptures</h1>" in french
    assert "Tableau de planification" in french
    technician.client.cookies["django_language"] = "en"
    english = technician.client.get("/supply/").content.decode()
    assert "<h1>Shortage watch</h1>" in english
    assert 'href="/planning/"' in english
