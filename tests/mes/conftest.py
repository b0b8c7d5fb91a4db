"""Personas and a small world: two hospitals, one product with an approved master record.

Personas are logged-in test clients: technician, pharmacist, QA reviewer, QC analyst,
administrator, the orderer of hospital A, and an outsider (not logged in).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pyotp
import pytest
from django.db import connections
from django.test import Client

from rempart.domain.qualification import QualificationKind
from rempart.domain.roles import Role
from rempart.mes.accounts.models import Qualification, User
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.audit.triggers import drop_all
from rempart.mes.catalog.models import Hospital, MasterRecord, Molecule, Product, Site, VialFormat
from rempart.mes.catalog.services import master_records

PASSWORD = "Correct-horse-battery-9"


@dataclass
class Persona:
    user: User
    client: Client

    @property
    def password(self) -> str:
        return PASSWORD

    def totp(self) -> str:
        return pyotp.TOTP(self.user.totp_secret).now()


@dataclass
class World:
    hospital_a: Hospital
    hospital_b: Hospital
    product: Product
    record: MasterRecord
    users: dict[str, User]


def record_content(media_fill: date | None = None) -> dict[str, object]:
    return {
        "batch_size_vials": 1000,
        "dead_volume_ml": Decimal("150"),
        "line_losses_ml": Decimal("50"),
        "diluent": "eau pour préparations injectables",
        "density_g_per_ml": Decimal("1.000"),
        "fill_weight_alert_pct": Decimal("2"),
        "fill_weight_action_pct": Decimal("4"),
        "ipc_every_vials": 100,
        "endotoxin_units": 3,
        "retention_units": 10,
        "visual_inspection_units": 20,
        "assay_units": 2,
        "sterility_incubation_days": 14,
        "reconciliation_tolerance_vials": 2,
        "batch_duration_h": Decimal("4"),
        "envelope_max_batch_vials": 5000,
        "envelope_max_duration_h": Decimal("8"),
        "envelope_media_fill_date": media_fill or date(2026, 9, 1),
    }


def make_user(username: str, role: Role, hospital: Hospital | None = None) -> User:
    user = User(
        username=username,
        printed_name=f"{username.title()} Test",
        role=role.value,
        hospital=hospital,
        totp_secret=pyotp.random_base32(),
    )
    user.set_password(PASSWORD)
    with audited_write(Actor.system("tests")):
        user.save()
    return user


def qualify(user: User, kind: QualificationKind, product: Product | None = None) -> None:
    today = datetime.now(UTC).date()
    with audited_write(Actor.system("tests")):
        Qualification.objects.create(
            user=user,
            kind=kind.value,
            product=product,
            valid_from=today - timedelta(days=10),
            valid_until=today + timedelta(days=100),
            evidence="tests",
        )


@pytest.fixture
def world(db: None) -> World:
    actor = Actor.system("tests")
    with audited_write(actor):
        a = Hospital.objects.create(
            code="CHU-LILLE", name="CHU de Lille", town="Lille", department="59"
        )
        b = Hospital.objects.create(
            code="CH-ROUBAIX", name="CH de Roubaix", town="Roubaix", department="59"
        )
        Site.objects.create(hospital=a, code="CHU-LILLE-PUI", name="PUI Lille")
        molecule = Molecule.objects.create(inn="rocuronium", atc="M03AC09", mitm=True)
        vial = VialFormat.objects.create(
            code="V10", nominal_volume_ml=Decimal("10"), brimful_volume_ml=Decimal("12")
        )
        product = Product.objects.create(
            code="ROCU-10-10",
            name="Rocuronium 10 mg/mL, 10 mL",
            molecule=molecule,
            concentration_mg_per_ml=Decimal("10"),
            fill_volume_ml=Decimal("10.5"),
            vial_format=vial,
            storage="2-8 °C",
            shelf_life_days=180,
            qc_lead_time_days=15,
            regulatory_status="hospital_preparation",
            criticality=5,
        )
    users = {
        "pharmacist": make_user("pharma", Role.PHARMACIST),
        "technician": make_user("tech", Role.TECHNICIAN),
        "qc": make_user("qc", Role.QC_ANALYST),
        "qa": make_user("qa", Role.QA_REVIEWER),
        "orderer_a": make_user("orderer.a", Role.ORDERER, a),
        "orderer_b": make_user("orderer.b", Role.ORDERER, b),
        "admin": make_user("admin", Role.ADMINISTRATOR),
    }
    for name in ("pharmacist", "qa", "technician"):
        qualify(users[name], QualificationKind.MASTER_RECORD_TRAINING, product)
    qualify(users["technician"], QualificationKind.ASEPTIC_PROCESS_SIMULATION)
    qualify(users["technician"], QualificationKind.GOWNING)
    record = master_records.create_draft(users["pharmacist"], product, record_content())
    record = master_records.submit_for_review(users["pharmacist"], record)
    qa = users["qa"]
    master_records.approve(
        qa, record, password=PASSWORD, totp_code=pyotp.TOTP(qa.totp_secret).now()
    )
    record.refresh_from_db()
    return World(a, b, product, record, users)


def _persona(world: World, name: str) -> Persona:
    client = Client()
    user = world.users[name]
    client.force_login(user)
    return Persona(user, client)


@pytest.fixture
def pharmacist(world: World) -> Persona:
    return _persona(world, "pharmacist")


@pytest.fixture
def technician(world: World) -> Persona:
    return _persona(world, "technician")


@pytest.fixture
def qa(world: World) -> Persona:
    return _persona(world, "qa")


@pytest.fixture
def orderer_a(world: World) -> Persona:
    return _persona(world, "orderer_a")


@pytest.fixture
def outsider(world: World) -> Client:
    return Client()


@pytest.fixture
def sqlite_flush_guard(transactional_db: None) -> Iterator[None]:
    """SQLite flushes with DELETE, which the guard triggers refuse: after a transactional
    test, remove the triggers; the flush's post_migrate signal installs them again."""
    yield
    for connection in connections.all():
        if connection.vendor == "sqlite":
            drop_all(connection)
