"""Pages of the planning board under /planning/: the runs and the form for a new one, a run
(progress while it solves, then the plan with its charts), the acceptance signature, and the
charts as SVG. Looking needs VIEW_SUPPLY; building, solving and accepting PLAN_PRODUCTION."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rempart.domain.roles import Action
from rempart.mes.accounts.permissions import allowed
from rempart.mes.core.errors import Refused
from rempart.mes.core.pages import current_user, request_id, requires
from rempart.mes.planboard.accept import accept_plan
from rempart.mes.planboard.charts import fill_svg, gantt_svg
from rempart.mes.planboard.forms import AcceptForm, RunForm
from rempart.mes.planboard.models import PlanRun, RunStatus
from rempart.mes.planboard.runs import progress, reap_stale, start_run
from rempart.mes.planboard.summary import cover_table, regime_days, shortages
from rempart.mes.signatures.services import signatures_of

#: The SVG charts carry inline styles; they are images (no script runs in an <img>).
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _refusal(exc: Refused) -> str:
    return f"{exc.field}: {exc.message}" if exc.field else exc.message


@requires(Action.VIEW_SUPPLY)
def board(request: HttpRequest) -> HttpResponse:
    reap_stale()
    user = current_user(request)
    may_plan = allowed(user, Action.PLAN_PRODUCTION)
    return render(
        request,
        "planboard/board.html",
        {
            "runs": PlanRun.objects.select_related("created_by", "accepted_by")[:30],
            "form": RunForm() if may_plan else None,
            "may_plan": may_plan,
        },
    )


@require_POST
@requires(Action.PLAN_PRODUCTION)
def new_run(request: HttpRequest) -> HttpResponse:
    form = RunForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            run = start_run(
                current_user(request), form.parameters(), request_id=request_id(request)
            )
        except Refused as exc:
            error = _refusal(exc)
        else:
            return redirect("planboard:run", pk=run.pk)
    return render(
        request,
        "planboard/board.html",
        {
            "runs": PlanRun.objects.select_related("created_by", "accepted_by")[:30],
            "form": form,
            "may_plan": True,
            "error": error,
        },
        status=400,
    )


def _run(pk: int) -> PlanRun:
    return get_object_or_404(PlanRun.objects.select_related("created_by", "accepted_by"), pk=pk)


@requires(Action.VIEW_SUPPLY)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reap_stale()
    run = _run(pk)
    user = current_user(request)
    context: dict[str, object] = {
        "run": run,
        "progress": progress(run),
        "may_plan": allowed(user, Action.PLAN_PRODUCTION),
        "signatures": signatures_of(run),
        "orders": list(run.orders.select_related("batch")),
    }
    if run.status == RunStatus.DONE and run.plan:
        labels = list(run.problem.get("periods", []))
        plan = run.plan
        context |= {
            "summary": plan,
            "stages": plan.get("stages", []),
            "lots": sorted(
                plan.get("plan", {}).get("lots", []), key=lambda x: (x["period"], x["product"])
            ),
            "labels": labels,
            "cover": cover_table(plan, float(run.problem.get("period_days", 1)), len(labels)),
            "regimes": regime_days(plan),
            "shortages": shortages(plan, labels),
            "fill_rates": plan.get("fill_rates", []),
        }
    return render(request, "planboard/run.html", context)


@requires(Action.VIEW_SUPPLY)
def run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    reap_stale()
    return JsonResponse(progress(_run(pk)).to_dict())


def _svg(content: str) -> HttpResponse:
    response = HttpResponse(content, content_type="image/svg+xml")
    response["Content-Security-Policy"] = SVG_CSP
    return response


@requires(Action.VIEW_SUPPLY)
def gantt(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(pk)
    if not run.plan:
        return HttpResponse(status=404)
    return _svg(gantt_svg(run.plan, list(run.problem.get("periods", []))))


@requires(Action.VIEW_SUPPLY)
def fill(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(pk)
    if not run.plan:
        return HttpResponse(status=404)
    return _svg(fill_svg(run.plan))


@require_http_methods(["GET", "POST"])
@requires(Action.PLAN_PRODUCTION)
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(pk)
    form = AcceptForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            outcome = accept_plan(
                current_user(request),
                run,
                password=form.cleaned_data["password"],
                totp_code=form.cleaned_data["totp_code"],
                request_id=request_id(request),
            )
        except Refused as exc:
            error = _refusal(exc)
        else:
            if outcome.already_accepted:
                messages.info(request, _("This plan was already accepted; nothing was ordered."))
            else:
                messages.success(
                    request,
                    _("Plan accepted: %(made)d batch orders made, %(refused)d lots refused.")
                    % {"made": len(outcome.made), "refused": len(outcome.refused)},
                )
            return redirect("planboard:run", pk=run.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "planboard/accept.html", {"run": run, "form": form, "error": error}, status=status
    )
