"""QC pages: samples awaiting results (with entry), CSV import, specifications (new
version), viable EM results, and the quarantine view of lots apart from released stock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rempart.domain.lot import LotStatus
from rempart.domain.qc import TESTED_KINDS
from rempart.domain.roles import Action, may
from rempart.mes.catalog.models import Product
from rempart.mes.core.errors import Refused
from rempart.mes.core.pages import current_user, error_page, request_id, requires
from rempart.mes.qc import services
from rempart.mes.qc.models import EM_SAMPLE_TYPES, QcSample, Specification, ViableEmResult
from rempart.mes.stock.models import Lot


def _refused(request: HttpRequest, exc: Refused) -> None:
    messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)


def _int(raw: str, field: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise Refused("enter a whole number", field=field) from None


def _moment(raw: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Refused("enter a date and time", field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment


@requires(Action.VIEW_MASTER_RECORDS)
def samples(request: HttpRequest) -> HttpResponse:
    waiting = (
        QcSample.objects.filter(result__isnull=True, batch__state="quarantine")
        .exclude(kind="retention")
        .select_related("batch__product")
    )
    recent = QcSample.objects.filter(result__isnull=False).select_related("result", "batch")
    return render(
        request,
        "qc/samples.html",
        {
            "waiting": waiting,
            "recent": recent.order_by("-result__entered_at")[:50],
            "may_record": may(current_user(request).role, Action.RECORD_QC_RESULT),
        },
    )


@require_POST
@requires(Action.RECORD_QC_RESULT)
def enter_result(request: HttpRequest, sample_id: str) -> HttpResponse:
    sample = get_object_or_404(QcSample, sample_id=sample_id)
    try:
        result = services.enter_result(
            current_user(request),
            sample,
            request.POST.get("value", ""),
            comment=request.POST.get("comment", ""),
            request_id=request_id(request),
        )
    except Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"{sample.sample_id}: {result.status}")
    return redirect("qc:samples")


@require_POST
@requires(Action.RECORD_QC_RESULT)
def start_test(request: HttpRequest, sample_id: str) -> HttpResponse:
    sample = get_object_or_404(QcSample, sample_id=sample_id)
    try:
        services.start_test(current_user(request), sample, request_id(request))
    except Refused as exc:
        _refused(request, exc)
    return redirect("qc:samples")


@requires(Action.RECORD_QC_RESULT)
def import_csv(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise Refused("choose a CSV file", field="file")
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise Refused("the file is not UTF-8 text", field="file") from None
            report = services.import_results_csv(current_user(request), text, request_id(request))
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("%(n)d results imported.") % {"n": report.count})
            return redirect("qc:samples")
    return render(request, "qc/import.html", {})


@requires(Action.VIEW_MASTER_RECORDS)
def specifications(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "POST":
        if not may(user.role, Action.RECORD_QC_RESULT):
            return error_page(request, 403, f"the role {user.role} may not record qc results")
        post = request.POST
        try:
            product = Product.objects.filter(pk=_int(post.get("product", ""), "product")).first()
            if product is None:
                raise Refused("choose a product", field="product")
            spec = services.create_specification(
                user,
                product,
                test=post.get("test", ""),
                method=post.get("method", ""),
                unit=post.get("unit", ""),
                lower=post.get("lower", ""),
                upper=post.get("upper", ""),
                expected=post.get("expected", ""),
                lead_time_days=_int(post.get("lead_time_days", "0") or "0", "lead_time_days"),
                request_id=request_id(request),
            )
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"{spec.product.code} {spec.test} v{spec.version}")
            return redirect("qc:specifications")
    return render(
        request,
        "qc/specifications.html",
        {
            "specs": Specification.objects.select_related("product"),
            "products": Product.objects.all(),
            "tests": [k.value for k in TESTED_KINDS],
            "may_record": may(user.role, Action.RECORD_QC_RESULT),
            "post": request.POST,
        },
    )


@requires(Action.VIEW_MASTER_RECORDS)
def viable_em(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "POST":
        if not may(user.role, Action.RECORD_QC_RESULT):
            return error_page(request, 403, f"the role {user.role} may not record qc results")
        post = request.POST
        try:
            result = services.record_viable_em(
                user,
                line_id=post.get("line_id", "") or settings.CONFIG.line_id,
                location=post.get("location", ""),
                grade=post.get("grade", ""),
                sample_type=post.get("sample_type", ""),
                cfu=_int(post.get("cfu", ""), "cfu"),
                sampled_at=_moment(post.get("sampled_at", ""), "sampled_at"),
                read_at=_moment(post.get("read_at", ""), "read_at"),
                request_id=request_id(request),
            )
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"{result.location}: {result.level}")
            return redirect("qc:viable_em")
    return render(
        request,
        "qc/viable_em.html",
        {
            "results": ViableEmResult.objects.prefetch_related("batches")[:100],
            "types": EM_SAMPLE_TYPES,
            "may_record": may(user.role, Action.RECORD_QC_RESULT),
            "line_id": settings.CONFIG.line_id,
            "post": request.POST,
        },
    )


@requires(Action.VIEW_MASTER_RECORDS)
def quarantine(request: HttpRequest) -> HttpResponse:
    lots = Lot.objects.select_related("batch__product")
    return render(
        request,
        "qc/quarantine.html",
        {
            "quarantined": lots.filter(status=LotStatus.QUARANTINE.value).order_by(
                "expected_release_date", "lot_number"
            ),
            "released": lots.filter(status=LotStatus.RELEASED.value).order_by("expiry_date"),
        },
    )
