"""Catalogue pages: products, hospitals (scoped), master batch records and their signing."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rempart.domain.master_record import TRANSITIONS, MasterRecordState
from rempart.domain.roles import Action, may
from rempart.domain.signatures import Meaning
from rempart.mes.accounts.backends import client_ip
from rempart.mes.accounts.permissions import visible_hospitals
from rempart.mes.catalog.models import MasterRecord, Molecule, Product
from rempart.mes.catalog.services import master_records
from rempart.mes.catalog.services.reference import dose_per_vial_mg
from rempart.mes.core.errors import Refused
from rempart.mes.core.pages import current_user, request_id, requires
from rempart.mes.signatures.services import signatures_of


@requires(Action.VIEW_CATALOG)
def products(request: HttpRequest) -> HttpResponse:
    rows = Product.objects.select_related("molecule", "vial_format")
    return render(request, "catalog/products.html", {"products": rows})


@requires(Action.VIEW_CATALOG)
def product_detail(request: HttpRequest, code: str) -> HttpResponse:
    product = get_object_or_404(
        Product.objects.select_related("molecule", "vial_format"), code=code
    )
    user = current_user(request)
    records = product.master_records.all() if may(user.role, Action.VIEW_MASTER_RECORDS) else None
    return render(
        request,
        "catalog/product.html",
        {
            "product": product,
            "dose_mg": dose_per_vial_mg(product),
            "records": records,
            "may_draft": may(user.role, Action.DRAFT_MASTER_RECORD),
        },
    )


@requires(Action.VIEW_CATALOG)
def molecules(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/molecules.html", {"molecules": Molecule.objects.all()})


@requires(Action.VIEW_HOSPITALS)
def hospitals(request: HttpRequest) -> HttpResponse:
    rows = visible_hospitals(current_user(request)).prefetch_related("sites")
    return render(request, "catalog/hospitals.html", {"hospitals": rows})


@requires(Action.VIEW_MASTER_RECORDS)
def master_record_list(request: HttpRequest) -> HttpResponse:
    rows = MasterRecord.objects.select_related("product")
    return render(request, "catalog/master_records.html", {"records": rows})


def _record(pk: int) -> MasterRecord:
    return get_object_or_404(
        MasterRecord.objects.select_related("product__vial_format", "product__molecule", "author"),
        pk=pk,
    )


@requires(Action.VIEW_MASTER_RECORDS)
def master_record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(pk)
    user = current_user(request)
    try:
        computed = master_records.compute(record)
        invalid = ""
    except Refused as exc:
        computed, invalid = None, f"{exc.field}: {exc.message}"
    state = MasterRecordState(record.state)
    return render(
        request,
        "catalog/master_record.html",
        {
            "record": record,
            "computed": computed,
            "invalid": invalid,
            "signatures": signatures_of(record),
            "may_submit": state is MasterRecordState.DRAFT
            and may(user.role, Action.SUBMIT_MASTER_RECORD),
            "may_edit": state is MasterRecordState.DRAFT
            and may(user.role, Action.DRAFT_MASTER_RECORD),
            "may_approve": MasterRecordState.APPROVED in TRANSITIONS[state]
            and may(user.role, Action.APPROVE_MASTER_RECORD),
            "may_send_back": state is MasterRecordState.IN_REVIEW
            and may(user.role, Action.APPROVE_MASTER_RECORD),
        },
    )


@require_POST
@requires(Action.DRAFT_MASTER_RECORD)
def new_version(request: HttpRequest, code: str) -> HttpResponse:
    product = get_object_or_404(Product, code=code)
    try:
        record = master_records.create_draft(
            current_user(request), product, {}, request_id(request)
        )
    except Refused as exc:
        messages.error(request, f"{exc.field or ''}: {exc.message}".lstrip(": "))
        return redirect("catalog:product", code=code)
    messages.success(request, _("Draft version %(v)s created.") % {"v": record.version})
    return redirect("catalog:master_record", pk=record.pk)


@require_http_methods(["GET", "POST"])
@requires(Action.DRAFT_MASTER_RECORD)
def edit_master_record(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(pk)
    error, field = "", ""
    values = {name: getattr(record, name) for name in master_records.CONTENT_FIELDS}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in master_records.CONTENT_FIELDS}
        try:
            master_records.update_draft(
                current_user(request),
                record,
                values,
                request.POST.get("reason", ""),
                request_id(request),
            )
        except Refused as exc:
            error, field = exc.message, exc.field or ""
        else:
            messages.success(request, _("Draft saved."))
            return redirect("catalog:master_record", pk=pk)
    return render(
        request,
        "catalog/master_record_edit.html",
        {"record": record, "values": values, "error": error, "field": field},
        status=400 if error else 200,
    )


@require_POST
@requires(Action.SUBMIT_MASTER_RECORD)
def submit_master_record(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        master_records.submit_for_review(current_user(request), _record(pk), request_id(request))
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Submitted for review."))
    return redirect("catalog:master_record", pk=pk)


@require_POST
@requires(Action.APPROVE_MASTER_RECORD)
def send_back_master_record(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        master_records.send_back(
            current_user(request), _record(pk), request.POST.get("reason", ""), request_id(request)
        )
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Sent back to draft."))
    return redirect("catalog:master_record", pk=pk)


@require_http_methods(["GET", "POST"])
@requires(Action.APPROVE_MASTER_RECORD)
def sign_master_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The signature dialog: password, authenticator code and the meaning, for this record."""
    record = _record(pk)
    error, field = "", ""
    if request.method == "POST":
        try:
            master_records.approve(
                current_user(request),
                record,
                password=request.POST.get("password", ""),
                totp_code=request.POST.get("totp_code", ""),
                meaning=request.POST.get("meaning", ""),
                ip=client_ip(request),
                request_id=request_id(request),
            )
        except Refused as exc:
            error, field = exc.message, exc.field or ""
        else:
            messages.success(request, _("Approved and signed."))
            return redirect("catalog:master_record", pk=pk)
    return render(
        request,
        "signatures/dialog.html",
        {
            "record": record,
            "meanings": [Meaning.APPROVED],
            "error": error,
            "field": field,
            "action_label": _("Approve version %(v)s") % {"v": record.version},
        },
        status=400 if error else 200,
    )
