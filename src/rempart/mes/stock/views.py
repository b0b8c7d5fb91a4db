"""Stock, orders, dispatches, receipt and recall pages. Each view parses, calls one service
and renders or redirects; a refusal is shown as a message naming the field."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rempart.domain.roles import Action, Role
from rempart.domain.signatures import Meaning
from rempart.domain.stock import count, parse_ranges
from rempart.mes.accounts.permissions import allowed
from rempart.mes.catalog.models import Product
from rempart.mes.core.errors import Refused
from rempart.mes.core.pages import current_user, error_page, request_id, requires
from rempart.mes.stock import ledger, queries, recall, receiving, services
from rempart.mes.stock.models import (
    Dispatch,
    Order,
    OrderLine,
    OrderStatus,
    Recall,
    RecallNotice,
    ScanOutcome,
)
from rempart.mes.stock.pdf import dispatch_note_pdf, serial_text

#: Order lines offered on the order form.
FORM_LINES = 4


def _refused(request: HttpRequest, exc: Refused) -> None:
    messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)


def _int(raw: str, field: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise Refused(_("enter a whole number"), field=field) from None


def _attempt(request: HttpRequest, action: Callable[[], object], done: str) -> bool:
    try:
        action()
    except Refused as exc:
        _refused(request, exc)
        return False
    messages.success(request, done)
    return True


# --- stock ----------------------------------------------------------------------------


@requires(Action.VIEW_STOCK)
def stock(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    check = ledger.check_ledger() if user.role != Role.ORDERER else None
    return render(
        request,
        "stock/stock.html",
        {
            "places": queries.stock_by_location(user),
            "quarantine": queries.quarantine_lots(user),
            "ledger_problems": check,
            "today": services.today(),
            "may_manage": allowed(user, Action.MANAGE_STOCK),
        },
    )


@requires(Action.VIEW_STOCK)
def near_expiry(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    return render(
        request,
        "stock/near_expiry.html",
        {
            "rows": queries.near_expiry_rows(user),
            "window": services.near_expiry_days(),
            "residual": services.min_residual_days(),
            "today": services.today(),
        },
    )


# --- orders ---------------------------------------------------------------------------


@requires(Action.VIEW_STOCK)
def orders(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    found = services.visible_orders(user)
    open_products = (
        Product.objects.filter(
            pk__in=OrderLine.objects.filter(
                order__status__in=(OrderStatus.OPEN, OrderStatus.ALLOCATED)
            ).values("product")
        )
        if allowed(user, Action.MANAGE_STOCK)
        else Product.objects.none()
    )
    supply = {p.code: services.shippable_supply(p) for p in open_products}
    return render(
        request,
        "stock/orders.html",
        {
            "orders": found,
            "may_order": allowed(user, Action.PLACE_ORDER),
            "may_manage": allowed(user, Action.MANAGE_STOCK),
            "open_products": [(p, supply[p.code]) for p in open_products],
        },
    )


@requires(Action.PLACE_ORDER)
def new_order(request: HttpRequest) -> HttpResponse:
    products = Product.objects.order_by("code")
    if request.method == "POST":
        lines: list[services.LineIn] = []
        try:
            for i in range(1, FORM_LINES + 1):
                code = request.POST.get(f"product_{i}", "").strip()
                raw = request.POST.get(f"quantity_{i}", "").strip()
                if not code and not raw:
                    continue
                lines.append(services.LineIn(code, _int(raw, f"lines.{len(lines) + 1}.quantity")))
            placed = services.place_order(
                current_user(request),
                lines,
                urgent=request.POST.get("urgent") == "on",
                note=request.POST.get("note", ""),
                request_id=request_id(request),
            )
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Order %(n)s placed") % {"n": placed.number})
            return redirect("stock:order", pk=placed.pk)
    return render(
        request,
        "stock/order_new.html",
        {"products": products, "rows": range(1, FORM_LINES + 1), "post": request.POST},
    )


@requires(Action.VIEW_STOCK)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        found = services.order_for(user, pk)
    except Refused as exc:
        return error_page(request, 404, exc.message)
    return render(
        request,
        "stock/order.html",
        {
            "order": found,
            "lines": found.lines.select_related("product"),
            "dispatches": found.dispatches.all(),
            "may_manage": allowed(user, Action.MANAGE_STOCK),
            "may_cancel": found.status in (OrderStatus.OPEN, OrderStatus.ALLOCATED),
        },
    )


@require_POST
@requires(Action.MANAGE_STOCK)
def allocate(request: HttpRequest, code: str) -> HttpResponse:
    product = get_object_or_404(Product, code=code)
    _attempt(
        request,
        lambda: services.allocate_product(current_user(request), product, request_id(request)),
        _("Open orders of %(code)s allocated") % {"code": code},
    )
    return redirect("stock:orders")


@require_POST
@requires(Action.MANAGE_STOCK)
def pick(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Order, pk=pk)
    try:
        dispatch = services.pick_order(current_user(request), found, request_id(request))
    except Refused as exc:
        _refused(request, exc)
        return redirect("stock:order", pk=pk)
    messages.success(request, _("Picked into %(n)s") % {"n": dispatch.number})
    return redirect("stock:dispatch", pk=dispatch.pk)


@require_POST
@requires(Action.VIEW_STOCK)
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        found = services.order_for(user, pk)
        services.cancel_order(user, found, request.POST.get("reason", ""), request_id(request))
    except Refused as exc:
        _refused(request, exc)
    return redirect("stock:order", pk=pk)


# --- dispatches and receipt ---------------------------------------------------------------


@requires(Action.VIEW_STOCK)
def dispatch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        found = services.dispatch_for(user, pk)
    except Refused as exc:
        return error_page(request, 404, exc.message)
    lines = [
        (line, serial_text(line.serials) if line.serials else "")
        for line in found.lines.select_related("lot__batch__product")
    ]
    return render(
        request,
        "stock/dispatch.html",
        {
            "dispatch": found,
            "lines": lines,
            "scans": found.scans.all(),
            "progress": receiving.receipt_progress(found),
            "receipt": getattr(found, "receipt", None),
            "may_manage": allowed(user, Action.MANAGE_STOCK),
            "may_receive": allowed(user, Action.RECEIVE_DELIVERY) and found.status == "shipped",
            "ok": ScanOutcome.OK.value,
        },
    )


@requires(Action.VIEW_STOCK)
def dispatch_note(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        found = services.dispatch_for(current_user(request), pk)
    except Refused as exc:
        return error_page(request, 404, exc.message)
    response = HttpResponse(dispatch_note_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{found.number}.pdf"'
    return response


@require_POST
@requires(Action.MANAGE_STOCK)
def ship(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Dispatch, pk=pk)
    _attempt(
        request,
        lambda: services.ship_dispatch(current_user(request), found, request_id(request)),
        _("%(n)s shipped") % {"n": found.number},
    )
    return redirect("stock:dispatch", pk=pk)


@require_POST
@requires(Action.RECEIVE_DELIVERY)
def scan(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        found = services.dispatch_for(user, pk)
        result = receiving.record_scan(
            user, found, request.POST.get("code", ""), request_id(request)
        )
    except Refused as exc:
        _refused(request, exc)
    else:
        if result.outcome == ScanOutcome.OK:
            messages.success(request, f"{result.lot_number}/{result.serial}: {result.message}")
        else:
            messages.warning(
                request,
                _("FLAGGED %(outcome)s: %(message)s")
                % {"outcome": result.get_outcome_display(), "message": result.message},
            )
    return redirect("stock:dispatch", pk=pk)


@require_POST
@requires(Action.RECEIVE_DELIVERY)
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        found = services.dispatch_for(user, pk)
        receiving.confirm_receipt(user, found, request.POST.get("note", ""), request_id(request))
    except Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Receipt of %(n)s confirmed") % {"n": found.number})
    return redirect("stock:dispatch", pk=pk)


# --- recall ---------------------------------------------------------------------------


@requires(Action.VIEW_STOCK)
def recalls(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    found = Recall.objects.select_related("lot__batch__product")
    if user.role == Role.ORDERER:
        found = found.filter(notices__hospital_id=user.hospital_id or 0)
    if request.method == "POST":
        if not allowed(user, Action.RECALL_LOT):
            return error_page(request, 403, f"the role {user.role} may not recall_lot")
        try:
            opened = recall.open_recall(
                user,
                recall.lot_by_number(request.POST.get("lot", "")),
                request.POST.get("reason", ""),
                request_id(request),
            )
        except Refused as exc:
            _refused(request, exc)
        else:
            return redirect("stock:recall", pk=opened.pk)
    return render(
        request,
        "stock/recalls.html",
        {"recalls": found, "may_recall": allowed(user, Action.RECALL_LOT), "post": request.POST},
    )


@requires(Action.VIEW_STOCK)
def recall_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = get_object_or_404(Recall.objects.select_related("lot__batch__product"), pk=pk)
    view = recall.recall_view(found, user)
    if user.role == Role.ORDERER and not view.notices:
        return error_page(request, 404, "no such recall for your hospital")
    rows = [(n, serial_text(n.serials) if n.serials else "") for n in view.notices]
    return render(
        request,
        "stock/recall.html",
        {
            "v": view,
            "rows": rows,
            "signatures": recall.recall_signatures(found),
            "may_recall": allowed(user, Action.RECALL_LOT),
            "user_role": user.role,
            "meaning": Meaning.APPROVED.value,
            "serial_total": sum(count(parse_ranges(n.serials)) for n in view.notices),
        },
    )


@require_POST
@requires(Action.VIEW_STOCK)
def acknowledge(request: HttpRequest, pk: int, notice: int) -> HttpResponse:
    user = current_user(request)
    found = get_object_or_404(RecallNotice, pk=notice, recall_id=pk)
    try:
        recall.acknowledge(
            user,
            found,
            returned=_int(request.POST.get("returned", ""), "returned"),
            used=_int(request.POST.get("used", ""), "used"),
            explanation=request.POST.get("explanation", ""),
            request_id=request_id(request),
        )
    except Refused as exc:
        _refused(request, exc)
    return redirect("stock:recall", pk=pk)


@require_POST
@requires(Action.RECALL_LOT)
def close_recall(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Recall, pk=pk)
    explanations = {
        int(key.removeprefix("explanation_")): str(value)
        for key, value in request.POST.items()
        if key.startswith("explanation_") and key.removeprefix("explanation_").isdigit()
    }
    _attempt(
        request,
        lambda: recall.close_recall(
            current_user(request),
            found,
            explanations=explanations,
            password=request.POST.get("password", ""),
            totp_code=request.POST.get("totp_code", ""),
            request_id=request_id(request),
        ),
        _("Recall closed and signed"),
    )
    return redirect("stock:recall", pk=pk)


@requires(Action.RECALL_LOT)
def trace(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    found = None
    if query:
        try:
            found = recall.trace(current_user(request), query)
        except Refused as exc:
            _refused(request, exc)
    return render(request, "stock/trace.html", {"q": query, "t": found})
