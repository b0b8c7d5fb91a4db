"""`rempart mes load-demo` builds the region and is idempotent; `rempart mes totp` helps."""

from __future__ import annotations

import pyotp
import pytest
from typer.testing import CliRunner

from rempart.cli.mes import app as mes_cli
from rempart.domain.region import HAUTS_DE_FRANCE
from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import User
from rempart.mes.audit.chain import verify_database
from rempart.mes.audit.models import AuditEntry
from rempart.mes.catalog.demo import DEMO_USERS
from rempart.mes.catalog.models import Hospital, MasterRecord, Product
from rempart.mes.signatures.services import valid_signature


def test_load_demo_twice(db: None) -> None:
    runner = CliRunner()
    first = runner.invoke(mes_cli, ["load-demo"])
    assert first.exit_code == 0, first.output
    assert Hospital.objects.count() == len(HAUTS_DE_FRANCE) == 17
    assert Product.objects.count() == 10
    records = MasterRecord.objects.filter(state="approved")
    assert records.count() == 10
    assert all(valid_signature(r, Meaning.APPROVED) for r in records)
    for demo in DEMO_USERS:
        assert demo.username in first.output
        assert demo.password in first.output
        assert demo.totp_secret in first.output
    entries = AuditEntry.objects.count()
    second = runner.invoke(mes_cli, ["load-demo"])
    assert second.exit_code == 0, second.output
    assert AuditEntry.objects.count() == entries
    assert verify_database().ok
    user = User.objects.get(username="qualite")
    code = runner.invoke(mes_cli, ["totp", "qualite"])
    assert code.exit_code == 0
    assert pyotp.TOTP(user.totp_secret).verify(code.output.strip(), valid_window=1)


def test_demo_and_totp_are_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMPART_ENV", "production")
    monkeypatch.setenv("REMPART_SECRET_KEY", "x" * 60)
    runner = CliRunner()
    assert runner.invoke(mes_cli, ["load-demo"]).exit_code == 2
    assert runner.invoke(mes_cli, ["totp", "qualite"]).exit_code == 2
