"""Acting on batches from the pages: order, schedule, line clearance, send to the line, and
QA's closure of deviations and resolution of data gaps. Each view parses, calls one
service and redirects; a refusal is shown on the batch record, naming the field."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rempart.domain.master_record import MasterRecordState
from rempart.domain.roles import Action
from rempart.mes.batches import services
from rempart.mes.batches.models import Batch
from rempart.mes.catalog.models import MasterRecord
from rempart.mes.core.errors import Refused
from rempart.mes.core.pages import current_user, request_id, requires
from rempart.mes.machine.models import DataGap
from rempart.mes.machine.services import resolve_data_gap
from rempart.mes.quality.models import Deviation
from rempart.mes.quality.services import close_deviation


def _refused(request: HttpRequest, exc: Refused) -> None:
    messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)


def _int(raw: str, field: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise Refused("enter a whole number", field=field) from None


def _local_time(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Refused("enter a date and time", field="planned_start") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment


@requires(Action.RUN_BATCH)
def new_order(request: HttpRequest) -> HttpResponse:
    records = MasterRecord.objects.filter(state=MasterRecordState.APPROVED.value).select_related(
        "product"
    )
    if request.method == "POST":
        try:
            batch = services.create_batch_order(
                current_user(request),
                batch_number=request.POST.get("batch_number", ""),
                master_record=get_object_or_404(
                    records, pk=_int(request.POST.get("master_record", ""), "master_record")
                ),
                quantity_vials=_int(request.POST.get("quantity_vials", ""), "quantity_vials"),
                planned_start=_local_time(request.POST.get("planned_start", "")),
                request_id=request_id(request),
            )
        except Refused as exc:
            _refused(request, exc)
        else:
            return redirect("batches:record", number=batch.batch_number)
    return render(request, "batches/new.html", {"records": records, "post": request.POST})


@require_POST
@requires(Action.RUN_BATCH)
def act(request: HttpRequest, number: str, step: str) -> HttpResponse:
    batch = get_object_or_404(Batch, batch_number=number)
    user, rid = current_user(request), request_id(request)
    try:
        if step == "schedule":
            services.schedule_batch(user, batch, rid)
        elif step == "clearance":
            services.sign_line_clearance(
                user,
                batch,
                meaning=request.POST.get("meaning", ""),
                password=request.POST.get("password", ""),
                totp_code=request.POST.get("totp_code", ""),
                checks=request.POST.get("checks", ""),
                request_id=rid,
            )
        elif step == "send":
            services.send_to_line(user, batch, settings.CONFIG.opcua_endpoint, request_id=rid)
        else:
            raise Refused(f"unknown step {step!r}", field="step")
    except Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"{number}: {step} done")
    return redirect("batches:record", number=number)


@require_POST
@requires(Action.VIEW_MASTER_RECORDS)
def close(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    deviation = get_object_or_404(Deviation, pk=pk)
    try:
        close_deviation(
            current_user(request),
            deviation,
            investigation=request.POST.get("investigation", ""),
            capa_reference=request.POST.get("capa_reference", ""),
            password=request.POST.get("password", ""),
            totp_code=request.POST.get("totp_code", ""),
            request_id=request_id(request),
        )
    except Refused as exc:
        _refused(request, exc)
    return redirect("batches:record", number=number)


@require_POST
@requires(Action.VIEW_MASTER_RECORDS)
def resolve(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    gap = get_object_or_404(DataGap, pk=pk)
    try:
        resolve_data_gap(
            current_user(request), gap, request.POST.get("reason", ""), request_id(request)
        )
    except Refused as exc:
        _refused(request, exc)
    return redirect("batches:record", number=number)
