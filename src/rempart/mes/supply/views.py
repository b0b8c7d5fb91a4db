"""Pages of the shortage watch: `/supply/` (alerts, statuses history, cover), the upload of
BDPM files, and the entry of consumption forecasts and stock counts."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import allowed
from rempart.mes.catalog.models import Molecule
from rempart.mes.core.errors import Refused
from rempart.mes.core.pages import current_user, requires
from rempart.mes.supply.alerting import open_alerts, recently_cleared
from rempart.mes.supply.cover import CONSUMPTION_WINDOW_DAYS, coverage
from rempart.mes.supply.forms import ForecastForm, ImportForm, StockForm
from rempart.mes.supply.inputs import PLANNING_INPUT, enter_forecast, enter_stock
from rempart.mes.supply.models import BdpmImport, ConsumptionForecast, StockSnapshot
from rempart.mes.supply.services import current_supply, import_bdpm_files, status_history
from rempart.shortage.bdpm import ErrorPolicy


def may_view(user: object) -> bool:
    return isinstance(user, User) and allowed(user, Action.VIEW_SUPPLY)


@requires(Action.VIEW_SUPPLY)
def watch(request: HttpRequest) -> HttpResponse:
    today = datetime.now(UTC).date()
    supply = current_supply()
    molecules = [
        {"molecule": m, "supply": supply.get(m.inn), "history": status_history(m)}
        for m in Molecule.objects.order_by("inn")
    ]
    user = current_user(request)
    return render(
        request,
        "supply/watch.html",
        {
            "alerts": open_alerts(),
            "cleared": recently_cleared(),
            "molecules": molecules,
            "cover": coverage(today),
            "window_days": CONSUMPTION_WINDOW_DAYS,
            "imports": BdpmImport.objects.select_related("imported_by")[:10],
            "may_import": allowed(user, Action.IMPORT_SUPPLY_DATA),
            "may_plan": allowed(user, PLANNING_INPUT),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(Action.IMPORT_SUPPLY_DATA)
def upload(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        policy = ErrorPolicy.SKIP if form.cleaned_data["skip_bad_lines"] else ErrorPolicy.FAIL
        files = [(f.name or "upload", f.read()) for f in form.cleaned_data["bdpm_files"]]
        try:
            outcome = import_bdpm_files(files, policy, current_user(request), channel="page")
        except Refused as exc:
            error = exc.message
        else:
            for record in outcome.imports:
                skipped = len(record.skipped_lines)
                messages.success(
                    request,
                    _(
                        "%(source)s: %(rows)d rows imported (%(kind)s), %(duplicates)d "
                        "duplicates dropped, %(skipped)d bad lines skipped"
                    )
                    % {
                        "source": record.source,
                        "rows": record.rows,
                        "kind": record.kind,
                        "duplicates": record.duplicates_dropped,
                        "skipped": skipped,
                    },
                )
            return redirect("supply:watch")
    status = 400 if request.method == "POST" else 200
    return render(request, "supply/upload.html", {"form": form, "error": error}, status=status)


@require_http_methods(["GET", "POST"])
@requires(PLANNING_INPUT)
def inputs(request: HttpRequest) -> HttpResponse:
    which = request.POST.get("form", "")
    forecast_form = ForecastForm(request.POST if which == "forecast" else None)
    stock_form = StockForm(request.POST if which == "stock" else None)
    error = ""
    if request.method == "POST":
        user = current_user(request)
        try:
            if which == "forecast" and forecast_form.is_valid():
                d = forecast_form.cleaned_data
                enter_forecast(
                    user,
                    d["hospital"],
                    d["product"],
                    d["vials_per_day"],
                    d["valid_from"],
                    d["valid_until"],
                )
                messages.success(request, _("Forecast recorded."))
                return redirect("supply:inputs")
            if which == "stock" and stock_form.is_valid():
                d = stock_form.cleaned_data
                enter_stock(
                    user,
                    d["hospital"],
                    d["product"],
                    d["counted_on"],
                    d["released_vials"],
                    d["quarantine_vials"] or 0,
                    d["release_date"],
                )
                messages.success(request, _("Stock count recorded."))
                return redirect("supply:inputs")
        except Refused as exc:
            error = f"{exc.field}: {exc.message}" if exc.field else exc.message
    return render(
        request,
        "supply/inputs.html",
        {
            "forecast_form": forecast_form,
            "stock_form": stock_form,
            "error": error,
            "forecasts": ConsumptionForecast.objects.select_related("hospital", "product")[:50],
            "stocks": StockSnapshot.objects.select_related("hospital", "product")[:50],
        },
        status=400 if request.method == "POST" else 200,
    )


def home_context(user: User) -> dict[str, object]:
    """The home page block: open alerts, for those who may see the watch."""
    if not may_view(user):
        return {"supply_visible": False, "supply_alerts": []}
    return {"supply_visible": True, "supply_alerts": open_alerts()}
