"""Catalogue: products, hospitals (scoped), master batch records and their workflow."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from rempart.domain.roles import Action
from rempart.mes.accounts.backends import client_ip
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require, visible_hospitals
from rempart.mes.catalog.models import MasterRecord, Product
from rempart.mes.catalog.services import master_records
from rempart.mes.core.errors import Refused
from rempart.mes.core.pages import request_id
from rempart.mes.signatures.services import signatures_of

router = Router(tags=["catalogue"])


class ProductOut(Schema):
    code: str
    name: str
    molecule: str
    atc: str
    mitm: bool
    concentration_mg_per_ml: Decimal
    fill_volume_ml: Decimal
    vial_format: str
    storage: str
    shelf_life_days: int
    qc_lead_time_days: int
    regulatory_status: str
    trial_reference: str


class HospitalOut(Schema):
    code: str
    name: str
    town: str
    department: str
    sites: list[str]


class SignatureOut(Schema):
    printed_name: str
    role: str
    meaning: str
    signed_at_utc: str
    displayed: str
    valid: bool
    status: str


class MasterRecordOut(Schema):
    id: int
    product: str
    version: int
    state: str
    author: str
    content: dict[str, Any]
    api_quantity_mg: Decimal | None
    bulk_volume_ml: Decimal | None
    sterility_units: int | None
    signatures: list[SignatureOut]


class DraftIn(Schema):
    product: str
    content: dict[str, Any] = Field(default_factory=dict)


class DraftUpdateIn(Schema):
    content: dict[str, Any]
    reason: str


class MasterRecordSignIn(Schema):
    password: str
    totp_code: str
    meaning: str = "approved"


class SendBackIn(Schema):
    reason: str


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _product_out(p: Product) -> ProductOut:
    return ProductOut(
        code=p.code,
        name=p.name,
        molecule=p.molecule.inn,
        atc=p.molecule.atc,
        mitm=p.molecule.mitm,
        concentration_mg_per_ml=p.concentration_mg_per_ml,
        fill_volume_ml=p.fill_volume_ml,
        vial_format=p.vial_format.code,
        storage=p.storage,
        shelf_life_days=p.shelf_life_days,
        qc_lead_time_days=p.qc_lead_time_days,
        regulatory_status=p.regulatory_status,
        trial_reference=p.trial_reference,
    )


def _record_out(record: MasterRecord) -> MasterRecordOut:
    try:
        computed = master_records.compute(record)
    except Refused:
        computed = None
    return MasterRecordOut(
        id=record.pk,
        product=record.product.code,
        version=record.version,
        state=record.state,
        author=record.author.printed_name,
        content={name: str(getattr(record, name)) for name in master_records.CONTENT_FIELDS},
        api_quantity_mg=computed.formula.api_quantity.amount if computed else None,
        bulk_volume_ml=computed.formula.bulk_volume.amount if computed else None,
        sterility_units=computed.sampling.sterility_units if computed else None,
        signatures=[
            SignatureOut(
                printed_name=s.signature.printed_name,
                role=s.signature.role,
                meaning=s.signature.meaning,
                signed_at_utc=s.signature.signed_at.isoformat(),
                displayed=s.when,
                valid=s.valid,
                status=s.status,
            )
            for s in signatures_of(record)
        ],
    )


def _record(pk: int) -> MasterRecord:
    return get_object_or_404(
        MasterRecord.objects.select_related("product__vial_format", "product__molecule", "author"),
        pk=pk,
    )


@router.get("/products", response=list[ProductOut])
def products(request: HttpRequest) -> list[ProductOut]:
    require(_user(request), Action.VIEW_CATALOG)
    return [_product_out(p) for p in Product.objects.select_related("molecule", "vial_format")]


@router.get("/products/{code}", response=ProductOut)
def product(request: HttpRequest, code: str) -> ProductOut:
    require(_user(request), Action.VIEW_CATALOG)
    return _product_out(
        get_object_or_404(Product.objects.select_related("molecule", "vial_format"), code=code)
    )


@router.get("/hospitals", response=list[HospitalOut])
def hospitals(request: HttpRequest) -> list[HospitalOut]:
    user = require(_user(request), Action.VIEW_HOSPITALS)
    return [
        HospitalOut(
            code=h.code,
            name=h.name,
            town=h.town,
            department=h.department,
            sites=[s.code for s in h.sites.all()],
        )
        for h in visible_hospitals(user).prefetch_related("sites")
    ]


@router.get("/master-records/{pk}", response=MasterRecordOut)
def master_record(request: HttpRequest, pk: int) -> MasterRecordOut:
    require(_user(request), Action.VIEW_MASTER_RECORDS)
    return _record_out(_record(pk))


@router.post("/master-records", response={201: MasterRecordOut})
def create_draft(request: HttpRequest, payload: DraftIn) -> Status[MasterRecordOut]:
    user = require(_user(request), Action.DRAFT_MASTER_RECORD)
    product = get_object_or_404(Product, code=payload.product)
    record = master_records.create_draft(user, product, payload.content, request_id(request))
    return Status(201, _record_out(_record(record.pk)))


@router.patch("/master-records/{pk}", response=MasterRecordOut)
def update_draft(request: HttpRequest, pk: int, payload: DraftUpdateIn) -> MasterRecordOut:
    user = require(_user(request), Action.DRAFT_MASTER_RECORD)
    master_records.update_draft(
        user, _record(pk), payload.content, payload.reason, request_id(request)
    )
    return _record_out(_record(pk))


@router.post("/master-records/{pk}/submit", response=MasterRecordOut)
def submit(request: HttpRequest, pk: int) -> MasterRecordOut:
    user = require(_user(request), Action.SUBMIT_MASTER_RECORD)
    master_records.submit_for_review(user, _record(pk), request_id(request))
    return _record_out(_record(pk))


@router.post("/master-records/{pk}/send-back", response=MasterRecordOut)
def send_back(request: HttpRequest, pk: int, payload: SendBackIn) -> MasterRecordOut:
    user = require(_user(request), Action.APPROVE_MASTER_RECORD)
    master_records.send_back(user, _record(pk), payload.reason, request_id(request))
    return _record_out(_record(pk))


@router.post("/master-records/{pk}/approve", response=MasterRecordOut)
def approve(request: HttpRequest, pk: int, payload: MasterRecordSignIn) -> MasterRecordOut:
    """E-sign the approval: the signer is the logged-in person, never a parameter."""
    user = require(_user(request), Action.APPROVE_MASTER_RECORD)
    master_records.approve(
        user,
        _record(pk),
        password=payload.password,
        totp_code=payload.totp_code,
        meaning=payload.meaning,
        ip=client_ip(request),
        request_id=request_id(request),
    )
    return _record_out(_record(pk))
