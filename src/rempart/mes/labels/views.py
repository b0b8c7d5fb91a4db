"""Label pages: lots to label, one lot's labels (print, reprint, counts, history) and the
label settings (pharmacist). Each view parses, calls one service, and renders, redirects or
sends the PDF; a refusal is shown on the page naming the field."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rempart.domain.errors import DomainError
from rempart.domain.labels import parse_ranges
from rempart.domain.lot import LotStatus
from rempart.domain.roles import Action
from rempart.mes.catalog.models import Product
from rempart.mes.core.errors import Refused
from rempart.mes.core.pages import current_user, request_id, requires
from rempart.mes.labels import datamatrix, identity, services
from rempart.mes.labels.models import LabelPrint, ProductLabel
from rempart.mes.stock.models import Lot


def _refused(request: HttpRequest, exc: Refused) -> None:
    messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)


def serials_from(raw: str) -> list[int] | None:
    """Typed serial ranges ("1-20, 25"), or None when empty (all of them)."""
    if not raw.strip():
        return None
    try:
        return list(parse_ranges(raw))
    except DomainError as exc:
        raise Refused(exc.message, field="serials") from None


def quantity_from(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise Refused(_("enter a whole number"), field="quantity") from None


def pdf_response(printed: services.Printed) -> HttpResponse:
    record = printed.record
    response = HttpResponse(printed.pdf, content_type="application/pdf")
    name = f"labels-{record.lot.lot_number}-{record.kind}-{record.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _lot(number: str) -> Lot:
    return get_object_or_404(
        Lot.objects.select_related("batch__product__molecule"), lot_number=number
    )


@requires(Action.PRINT_LABELS)
def lot_list(request: HttpRequest) -> HttpResponse:
    lots = Lot.objects.select_related("batch__product").order_by("-fill_date", "lot_number")[:200]
    rows = []
    printed: dict[int, int] = dict(
        LabelPrint.objects.filter(kind="print")
        .values("lot_id")
        .annotate(n=Sum("quantity"))
        .values_list("lot_id", "n")
    )
    for lot in lots:
        rows.append({"lot": lot, "printed": printed.get(lot.pk, 0)})
    return render(request, "labels/list.html", {"rows": rows})


@requires(Action.PRINT_LABELS)
def lot_labels(request: HttpRequest, number: str) -> HttpResponse:
    lot = _lot(number)
    good = services.good_vial_sequences(lot)
    printed = services.printed_sequences(lot)
    context: dict[str, object] = {
        "lot": lot,
        "good": len(good),
        "printed": len(printed),
        "to_print": len(set(good) - printed),
        "history": services.print_history(lot),
        "reconciliation": services.label_reconciliation(lot),
        "released": lot.status == LotStatus.RELEASED.value,
    }
    if lot.expiry_date is not None and good:
        try:
            context["content"] = services.content_for(lot)
            sample = identity.vial_identity(lot, good[0])
            context["sample"] = sample
            context["sample_png"] = datamatrix.png_data_uri(sample)
        except Refused as exc:
            context["problem"] = exc
    return render(request, "labels/lot.html", context)


@require_POST
@requires(Action.PRINT_LABELS)
def print_lot(request: HttpRequest, number: str) -> HttpResponse:
    lot = _lot(number)
    try:
        printed = services.print_labels(
            current_user(request),
            lot,
            serials=serials_from(request.POST.get("serials", "")),
            request_id=request_id(request),
        )
    except Refused as exc:
        _refused(request, exc)
        return redirect("labels:lot", number=lot.lot_number)
    return pdf_response(printed)


@require_POST
@requires(Action.PRINT_LABELS)
def reprint_lot(request: HttpRequest, number: str) -> HttpResponse:
    lot = _lot(number)
    try:
        printed = services.reprint_labels(
            current_user(request),
            lot,
            reason=request.POST.get("reason", ""),
            serials=serials_from(request.POST.get("serials", "")),
            request_id=request_id(request),
        )
    except Refused as exc:
        _refused(request, exc)
        return redirect("labels:lot", number=lot.lot_number)
    return pdf_response(printed)


@require_POST
@requires(Action.PRINT_LABELS)
def count_lot(request: HttpRequest, number: str) -> HttpResponse:
    lot = _lot(number)
    try:
        services.record_label_count(
            current_user(request),
            lot,
            kind=request.POST.get("kind", ""),
            quantity=quantity_from(request.POST.get("quantity", "")),
            reason=request.POST.get("reason", ""),
            request_id=request_id(request),
        )
    except Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Count recorded."))
    return redirect("labels:lot", number=lot.lot_number)


@requires(services.CONFIGURE)
def label_settings(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "issuer":
                services.set_issuer(
                    user,
                    name=request.POST.get("name", ""),
                    address=request.POST.get("address", ""),
                    phone=request.POST.get("phone", ""),
                    reason=request.POST.get("reason", ""),
                    request_id=request_id(request),
                )
            else:
                product = get_object_or_404(Product, pk=request.POST.get("product") or 0)
                services.set_product_label(
                    user,
                    product,
                    gtin=request.POST.get("gtin", ""),
                    company_prefix=request.POST.get("company_prefix", ""),
                    item_reference=request.POST.get("item_reference", ""),
                    route=request.POST.get("route", ""),
                    blinded=request.POST.get("blinded") == "on",
                    blinded_name=request.POST.get("blinded_name", ""),
                    reason=request.POST.get("reason", ""),
                    request_id=request_id(request),
                )
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Label settings saved."))
            return redirect("labels:settings")
    products = Product.objects.select_related("molecule").order_by("code")
    settings_rows = {row.product_id: row for row in ProductLabel.objects.all()}
    rows = []
    for product in products:
        try:
            code = identity.gtin_for(product)
        except Refused as exc:
            code = f"— {exc.message}"
        rows.append({"product": product, "label": settings_rows.get(product.pk), "code": code})
    return render(
        request,
        "labels/settings.html",
        {
            "issuer": services.issuer(),
            "rows": rows,
            "default_prefix": identity.DEFAULT_COMPANY_PREFIX,
        },
    )
