import pytest
from django.db import connection
from django.test import Client


@pytest.mark.django_db
def test_health_reports_the_database() -> None:
    response = Client().get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == connection.vendor
