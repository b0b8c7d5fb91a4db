"""The demo dataset: the Hauts-de-France region, the ten demo products, one user per role,
their qualifications, and an approved (e-signed) master batch record per product.

Idempotent: every object is looked up by its natural key and only missing ones are created,
so `rempart mes load-demo` can run on every `make demo`. The demo passwords and TOTP secrets
are public by design; loading them is refused in production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pyotp

from rempart.domain.catalog import MOLECULES, VIAL_FORMATS, demo_products
from rempart.domain.qualification import QualificationKind
from rempart.domain.region import HAUTS_DE_FRANCE
from rempart.domain.roles import Role
from rempart.mes.accounts.models import Qualification, User
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.catalog.models import Hospital, MasterRecord, Molecule, Product, Site, VialFormat
from rempart.mes.catalog.services import master_records
from rempart.mes.catalog.services.reference import store_reference
from rempart.mes.supply.services import import_shipped_once

Echo = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    printed_name: str
    role: Role
    password: str
    totp_secret: str
    hospital_code: str = ""


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "pharmacien",
        "Claire Dubois",
        Role.PHARMACIST,
        "Pharmacien-demo-2026",
        "REMPARTDEMOPHARMACIENAAAAAAAAAAA",
    ),
    DemoUser(
        "preparateur",
        "Julien Martin",
        Role.TECHNICIAN,
        "Preparateur-demo-2026",
        "REMPARTDEMOPREPARATEURAAAAAAAAAA",
    ),
    DemoUser(
        "controle",
        "Sophie Leroy",
        Role.QC_ANALYST,
        "Controle-demo-2026",
        "REMPARTDEMOCONTROLEAAAAAAAAAAAAA",
    ),
    DemoUser(
        "qualite",
        "Marc Lefebvre",
        Role.QA_REVIEWER,
        "Qualite-demo-2026",
        "REMPARTDEMOQUALITEAAAAAAAAAAAAAA",
    ),
    DemoUser(
        "commande.roubaix",
        "Nadia Benali",
        Role.ORDERER,
        "Commande-demo-2026",
        "REMPARTDEMOCOMMANDEAAAAAAAAAAAAA",
        "CH-ROUBAIX",
    ),
    DemoUser(
        "admin",
        "Paul Girard",
        Role.ADMINISTRATOR,
        "Admin-demo-2026",
        "REMPARTDEMOADMINAAAAAAAAAAAAAAAA",
    ),
)

#: The pharmacist who writes the demo records and the QA reviewer who approves them.
AUTHOR, APPROVER = "pharmacien", "qualite"


def demo_content(product: Product, media_fill: date) -> dict[str, object]:
    """A plausible record for the demo (**[A]**: every number is an assumption)."""
    large = product.vial_format.nominal_volume_ml >= 30
    return {
        "batch_size_vials": 800 if large else 2000,
        "dead_volume_ml": Decimal("150"),
        "line_losses_ml": Decimal("50"),
        "diluent": "eau pour préparations injectables",
        "density_g_per_ml": Decimal("1.005"),
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
        "envelope_media_fill_date": media_fill,
    }


def _reference(actor: Actor, echo: Echo) -> None:
    created = 0
    for h in HAUTS_DE_FRANCE:
        if not Hospital.objects.filter(code=h.code).exists():
            hospital = Hospital(code=h.code, name=h.name, town=h.town, department=h.department)
            store_reference(actor, hospital)
            store_reference(
                actor,
                Site(hospital=hospital, code=f"{h.code}-PUI", name=f"Pharmacie (PUI) — {h.name}"),
            )
            created += 1
    for m in MOLECULES.values():
        if not Molecule.objects.filter(inn=m.inn).exists():
            store_reference(
                actor, Molecule(inn=m.inn, atc=m.atc, mitm=m.mitm, cis_codes=",".join(m.cis_codes))
            )
            created += 1
    for f in VIAL_FORMATS.values():
        if not VialFormat.objects.filter(code=f.code).exists():
            brimful = None if f.brimful_volume is None else f.brimful_volume.amount
            store_reference(
                actor,
                VialFormat(
                    code=f.code,
                    nominal_volume_ml=f.nominal_volume.amount,
                    brimful_volume_ml=brimful,
                ),
            )
            created += 1
    for p in demo_products():
        if not Product.objects.filter(code=p.code).exists():
            product = Product(
                code=p.code,
                name=p.name,
                molecule=Molecule.objects.get(inn=p.molecule.inn),
                concentration_mg_per_ml=p.concentration.amount,
                fill_volume_ml=p.fill_volume.amount,
                vial_format=VialFormat.objects.get(code=p.vial_format.code),
                storage=p.storage.value,
                shelf_life_days=p.shelf_life_days,
                qc_lead_time_days=p.qc_lead_time_days,
                regulatory_status=p.regulatory_status.value,
                trial_reference=p.trial_reference or "",
                criticality=p.criticality,
            )
            store_reference(actor, product)
            created += 1
    echo(
        f"reference data: {created} records created "
        f"({Hospital.objects.count()} hospitals, {Product.objects.count()} products)"
    )


def _users(actor: Actor, today: date, echo: Echo) -> None:
    for demo in DEMO_USERS:
        user = User.objects.filter(username__iexact=demo.username).first()
        if user is None:
            user = User(
                username=demo.username,
                printed_name=demo.printed_name,
                role=demo.role.value,
                hospital=Hospital.objects.filter(code=demo.hospital_code).first(),
                totp_secret=demo.totp_secret,
            )
            user.set_password(demo.password)
            with audited_write(actor):
                user.save()
        if user.qualifications.exists():
            continue
        wanted: list[tuple[QualificationKind, Product | None]] = []
        if demo.role in {Role.TECHNICIAN, Role.PHARMACIST}:
            wanted += [
                (QualificationKind.ASEPTIC_PROCESS_SIMULATION, None),
                (QualificationKind.GOWNING, None),
            ]
        if demo.role in {Role.TECHNICIAN, Role.PHARMACIST, Role.QA_REVIEWER}:
            wanted += [(QualificationKind.MASTER_RECORD_TRAINING, p) for p in Product.objects.all()]
        with audited_write(actor):
            for kind, product in wanted:
                Qualification.objects.create(
                    user=user,
                    kind=kind.value,
                    product=product,
                    valid_from=today - timedelta(days=30),
                    valid_until=today + timedelta(days=335),
                    evidence="demo: initial qualification",
                )


def _master_records(echo: Echo, today: date) -> None:
    author = User.objects.get(username=AUTHOR)
    approver = User.objects.get(username=APPROVER)
    secret = next(u for u in DEMO_USERS if u.username == APPROVER)
    approved = 0
    for product in Product.objects.select_related("vial_format"):
        if MasterRecord.objects.filter(product=product).exists():
            continue
        record = master_records.create_draft(
            author, product, demo_content(product, today - timedelta(days=60))
        )
        record = master_records.submit_for_review(author, record)
        master_records.approve(
            approver,
            record,
            password=secret.password,
            totp_code=pyotp.TOTP(secret.totp_secret).now(),
        )
        approved += 1
    echo(f"master batch records: {approved} approved and e-signed by {approver.printed_name}")


def load_demo(echo: Echo) -> None:
    actor = Actor.system("load-demo")
    today = datetime.now(UTC).date()
    _reference(actor, echo)
    _users(actor, today, echo)
    _master_records(echo, today)
    import_shipped_once(echo)


def credentials_text() -> str:
    lines = ["Demo accounts (user name / password / TOTP secret / role):"]
    for u in DEMO_USERS:
        where = f" — {u.hospital_code}" if u.hospital_code else ""
        lines.append(f"  {u.username:<17} {u.password:<22} {u.totp_secret}  {u.role.value}{where}")
    lines.append("Current TOTP code: rempart mes totp USERNAME (development only).")
    return "\n".join(lines)
