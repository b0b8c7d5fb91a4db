"""Release pages: the cockpit (each batch awaiting decision with only its exceptions), a
batch's release page, and the signed actions on it (audit-trail review, release, reject).
Views parse, call one service, redirect; a refusal lists every blocking reason."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rempart.domain.roles import Action, may
from rempart.mes.batches.models import Batch
from rempart.mes.core.errors import Refused
from rempart.mes.core.pages import current_user, request_id, requires
from rempart.mes.qc.facts import qc_results_table, release_checklist, release_decisions
from rempart.mes.release import filtration, services
from rempart.mes.release.models import FILTER_METHODS, FilterIntegrityTest
from rempart.mes.signatures.services import signatures_of


def _refused(request: HttpRequest, exc: Refused) -> None:
    if isinstance(exc, services.ReleaseRefused):
        messages.error(request, _("Release refused: every blocking reason is listed below."))
        for reason in exc.reasons:
            messages.error(request, f"{reason.code.value}: {services.describe(reason)}")
        return
    messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)


@requires(Action.REVIEW_BATCH_AUDIT_TRAIL)
def cockpit(request: HttpRequest) -> HttpResponse:
    return render(request, "release/cockpit.html", {"rows": services.cockpit()})


@requires(Action.REVIEW_BATCH_AUDIT_TRAIL)
def batch_page(request: HttpRequest, number: str) -> HttpResponse:
    batch = get_object_or_404(Batch.objects.select_related("product"), batch_number=number)
    user = current_user(request)
    return render(
        request,
        "release/batch.html",
        {
            "batch": batch,
            "exceptions": release_checklist(batch),
            "qc": qc_results_table(batch),
            "decisions": release_decisions(batch),
            "may_release": may(user.role, Action.RELEASE_BATCH),
            "may_test_filter": may(user.role, Action.RUN_BATCH),
            "filter_tests": _filter_tests(batch),
            "awaiting": batch.state in services.AWAITING,
        },
    )


@require_POST
@requires(Action.REVIEW_BATCH_AUDIT_TRAIL)
def act(request: HttpRequest, number: str, step: str) -> HttpResponse:
    batch = get_object_or_404(Batch, batch_number=number)
    user, rid = current_user(request), request_id(request)
    post = request.POST
    sign = {"password": post.get("password", ""), "totp_code": post.get("totp_code", "")}
    try:
        if step == "review":
            services.review_audit_trail(
                user, batch, comment=post.get("comment", ""), request_id=rid, **sign
            )
            messages.success(request, _("Audit trail review signed."))
        elif step == "release":
            services.release_batch(
                user, batch, comment=post.get("comment", ""), request_id=rid, **sign
            )
            messages.success(request, _("Batch released."))
        elif step == "reject":
            services.reject_batch(
                user, batch, reason=post.get("reason", ""), request_id=rid, **sign
            )
            messages.success(request, _("Batch rejected."))
        else:
            raise Refused(f"unknown action {step!r}", field="step")
    except Refused as exc:
        _refused(request, exc)
    return redirect("release:batch", number=number)


def _filter_tests(batch: Batch) -> list[dict[str, object]]:
    return [
        {"test": t, "signatures": signatures_of(t)}
        for t in FilterIntegrityTest.objects.filter(batch=batch).order_by("performed_at", "id")
    ]


@requires(Action.RUN_BATCH)
def filter_test(request: HttpRequest, number: str) -> HttpResponse:
    """The batch's post-use filter integrity tests, and the form recording one (signed
    "performed")."""
    batch = get_object_or_404(Batch.objects.select_related("product"), batch_number=number)
    if request.method == "POST":
        post = request.POST
        try:
            filtration.record_filter_test(
                current_user(request),
                batch,
                filter_lot=post.get("filter_lot", ""),
                method=post.get("method", ""),
                value=post.get("value", ""),
                limit=post.get("limit", ""),
                unit=post.get("unit", ""),
                comment=post.get("comment", ""),
                password=post.get("password", ""),
                totp_code=post.get("totp_code", ""),
                request_id=request_id(request),
            )
            messages.success(request, _("Filter integrity test recorded."))
        except Refused as exc:
            _refused(request, exc)
        return redirect("release:filter_test", number=number)
    return render(
        request,
        "release/filter_test.html",
        {"batch": batch, "tests": _filter_tests(batch), "methods": FILTER_METHODS},
    )


@require_POST
@requires(Action.RUN_BATCH)
def verify_filter_test(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    test = get_object_or_404(FilterIntegrityTest, pk=pk, batch__batch_number=number)
    try:
        filtration.verify_filter_test(
            current_user(request),
            test,
            password=request.POST.get("password", ""),
            totp_code=request.POST.get("totp_code", ""),
            request_id=request_id(request),
        )
        messages.success(request, _("Filter integrity test verified."))
    except Refused as exc:
        _refused(request, exc)
    return redirect("release:filter_test", number=number)
