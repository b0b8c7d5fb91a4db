"""Log-in, log-out, password set by its holder, home and the user's own qualifications."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rempart.domain.roles import Action, may
from rempart.mes.accounts.backends import client_ip
from rempart.mes.accounts.services import authenticate_user, set_own_password, user_for_link
from rempart.mes.core.errors import Refused
from rempart.mes.core.pages import current_user, error_page, request_id, requires
from rempart.mes.supply.views import home_context as supply_home

BACKEND = "rempart.mes.accounts.backends.LockoutBackend"


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error, field = "", ""
    timed_out = request.session.pop("rempart_timed_out", "")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST":
        try:
            user = authenticate_user(
                request.POST.get("username", ""),
                request.POST.get("password", ""),
                client_ip(request),
            )
        except Refused as exc:
            error, field = exc.message, exc.field or ""
        else:
            login(request, user, backend=BACKEND)
            safe = url_has_allowed_host_and_scheme(next_url, {request.get_host()})
            return redirect(next_url if next_url and safe else "home")
    return render(
        request,
        "accounts/login.html",
        {"error": error, "field": field, "next": next_url, "timed_out": timed_out},
        status=400 if error else 200,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@require_http_methods(["GET", "POST"])
def set_password_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The holder of an invitation link sets their own password and sees their TOTP secret."""
    try:
        user = user_for_link(uidb64, token)
    except Refused as exc:
        return error_page(request, exc.status, exc.message)
    if request.method == "POST":
        try:
            user = set_own_password(
                uidb64,
                token,
                request.POST.get("password1", ""),
                request.POST.get("password2", ""),
                request_id(request),
            )
        except Refused as exc:
            return render(
                request,
                "accounts/set_password.html",
                {"person": user, "error": exc.message, "field": exc.field},
                status=400,
            )
        return render(request, "accounts/password_set.html", {"person": user})
    return render(request, "accounts/set_password.html", {"person": user})


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    user = current_user(request)
    links = [
        (name, url, label)
        for name, url, label, action in (
            ("products", "catalog:products", _("Products"), Action.VIEW_CATALOG),
            ("hospitals", "catalog:hospitals", _("Hospitals"), Action.VIEW_HOSPITALS),
            (
                "records",
                "catalog:master_records",
                _("Master batch records"),
                Action.VIEW_MASTER_RECORDS,
            ),
            ("batches", "batches:list", _("Batches"), Action.VIEW_MASTER_RECORDS),
            ("line", "machine:dashboard", _("Line dashboard"), Action.VIEW_MASTER_RECORDS),
            ("line_state", "batches:line_state", _("Line state"), Action.VIEW_MASTER_RECORDS),
            ("limits", "machine:limits", _("EM alert limits"), Action.VIEW_MASTER_RECORDS),
            ("media_fills", "machine:media_fills", _("Media fills"), Action.VIEW_MASTER_RECORDS),
            ("deviations", "quality:deviations", _("Deviations"), Action.VIEW_MASTER_RECORDS),
            ("qc", "qc:samples", _("Quality control"), Action.VIEW_MASTER_RECORDS),
            ("quarantine", "qc:quarantine", _("Quarantine"), Action.VIEW_MASTER_RECORDS),
            ("release", "release:cockpit", _("Release cockpit"), Action.REVIEW_BATCH_AUDIT_TRAIL),
            ("labels", "labels:list", _("Labels"), Action.PRINT_LABELS),
            ("stock", "stock:stock", _("Stock"), Action.VIEW_STOCK),
            ("orders", "stock:orders", _("Orders"), Action.VIEW_STOCK),
            ("recalls", "stock:recalls", _("Recalls"), Action.VIEW_STOCK),
            ("supply", "supply:watch", _("Shortage watch"), Action.VIEW_SUPPLY),
            ("planboard", "planboard:board", _("Planning board"), Action.VIEW_SUPPLY),
            ("quals", "qualifications", _("My qualifications"), Action.VIEW_OWN_QUALIFICATIONS),
            ("audit", "audit:trail", _("Audit trail"), Action.VIEW_AUDIT_TRAIL),
        )
        if may(user.role, action)
    ]
    return render(request, "home.html", {"links": links, **supply_home(user)})


@requires(Action.VIEW_OWN_QUALIFICATIONS)
def my_qualifications(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    rows = user.qualifications.select_related("product").order_by("kind", "-valid_until")
    return render(request, "accounts/qualifications.html", {"qualifications": rows})
