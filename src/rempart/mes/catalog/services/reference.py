"""Reference data (hospitals, sites, molecules, vial formats, products): edited by the
administrator, validated by the same domain classes as every other layer, always audited."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models

from rempart.domain.errors import DomainError
from rempart.domain.products import Molecule as DomainMolecule
from rempart.domain.products import Product as DomainProduct
from rempart.domain.products import RegulatoryStatus, Storage
from rempart.domain.products import VialFormat as DomainVialFormat
from rempart.domain.roles import Action
from rempart.domain.units import MgPerMl, Millilitres
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.catalog.models import Molecule, Product, VialFormat
from rempart.mes.core.errors import Conflict, Refused

#: Domain field names → the model's field names, so a refusal names the form's field.
_FIELD_NAMES = {
    "concentration": "concentration_mg_per_ml",
    "mg/mL": "concentration_mg_per_ml",
    "fill_volume": "fill_volume_ml",
    "mL": "fill_volume_ml",
    "nominal_volume": "nominal_volume_ml",
    "brimful_volume": "brimful_volume_ml",
}


def domain_molecule(m: Molecule) -> DomainMolecule:
    return DomainMolecule(m.inn, m.atc, m.mitm, m.cis_list)


def domain_vial_format(f: VialFormat) -> DomainVialFormat:
    brimful = None if f.brimful_volume_ml is None else Millilitres(f.brimful_volume_ml)
    return DomainVialFormat(f.code, Millilitres(f.nominal_volume_ml), brimful)


def domain_product(p: Product) -> DomainProduct:
    return DomainProduct(
        code=p.code,
        name=p.name,
        molecule=domain_molecule(p.molecule),
        concentration=MgPerMl(p.concentration_mg_per_ml),
        fill_volume=Millilitres(p.fill_volume_ml),
        vial_format=domain_vial_format(p.vial_format),
        storage=Storage(p.storage),
        shelf_life_days=p.shelf_life_days,
        regulatory_status=RegulatoryStatus(p.regulatory_status),
        qc_lead_time_days=p.qc_lead_time_days,
        trial_reference=p.trial_reference or None,
        criticality=p.criticality,
    )


def validate_reference(instance: models.Model) -> None:
    """Model checks (types, lengths, choices), then the domain rules; `Refused` names the field."""
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise Refused(" ".join(messages), field=name) from None
    try:
        if isinstance(instance, Molecule):
            domain_molecule(instance)
        elif isinstance(instance, VialFormat):
            domain_vial_format(instance)
        elif isinstance(instance, Product):
            domain_product(instance)
    except DomainError as exc:
        raise Refused(exc.message, field=_FIELD_NAMES.get(exc.field or "", exc.field)) from None


def store_reference(actor: Actor, instance: models.Model, *, reason: str = "") -> None:
    """Validate and save; a change to an existing row needs a reason (the trigger insists)."""
    validate_reference(instance)
    if instance.pk is not None and not reason.strip():
        raise Refused("say why this reference data changes", field="reason")
    try:
        with audited_write(actor, reason=reason):
            instance.save()
    except IntegrityError:
        raise Conflict("a record with this code already exists", field="code") from None


def save_reference(
    user: User, instance: models.Model, *, reason: str = "", request_id: str = ""
) -> None:
    """The administrator's edit of reference data (from the admin or the API)."""
    require(user, Action.EDIT_REFERENCE_DATA)
    store_reference(actor_for(user, request_id), instance, reason=reason)


def dose_per_vial_mg(product: Product) -> Decimal:
    return domain_product(product).dose_per_vial.amount
