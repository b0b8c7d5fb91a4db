"""Acting on batches from the pages: order, schedule, preparation steps, line clearance,
send to the line, hold and lift the hold, QA's closure of deviations and resolution of data
gaps; the line state (decontamination, format parts). Each view parses, calls one service
and redirects; a refusal is shown on the page, naming the field. The services check the
role (`act` is open to production staff and QA; each step's service narrows it)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rempart.domain.master_record import MasterRecordState
from rempart.domain.roles import Action
from rempart.mes.batches import line_state, services
from rempart.mes.batches.models import Batch, Decontamination, FormatPartsSet
from rempart.mes.batches.preparation import sign_preparation_step
from rempart.mes.catalog.models import MasterRecord, VialFormat
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


def _local_time(raw: str, field: str = "planned_start") -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Refused("enter a date and time", field=field) from None
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


def _date(raw: str, field: str) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise Refused("enter a date (YYYY-MM-DD)", field=field) from None


@require_POST
@requires(Action.VIEW_MASTER_RECORDS)
def act(request: HttpRequest, number: str, step: str) -> HttpResponse:
    batch = get_object_or_404(Batch, batch_number=number)
    user, rid = current_user(request), request_id(request)
    post = request.POST
    try:
        if step == "preparation":
            sign_preparation_step(
                user,
                batch,
                step=post.get("step", ""),
                meaning=post.get("meaning", ""),
                password=post.get("password", ""),
                totp_code=post.get("totp_code", ""),
                item_code=post.get("item_code", ""),
                lot_number=post.get("lot_number", ""),
                expiry=_date(post.get("expiry", ""), "expiry"),
                api_mg=post.get("api_mg") or None,
                volume_ml=post.get("volume_ml") or None,
                comment=post.get("comment", ""),
                request_id=rid,
            )
        elif step == "hold":
            services.hold_batch(user, batch, post.get("reason", ""), rid)
        elif step == "resume":
            services.release_hold(user, batch, post.get("reason", ""), rid)
        elif step == "schedule":
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


@requires(Action.VIEW_MASTER_RECORDS)
def line_state_page(request: HttpRequest) -> HttpResponse:
    """The line's decontaminations and format parts sets, and the forms to record and
    verify them (production staff)."""
    user, rid = current_user(request), request_id(request)
    if request.method == "POST":
        post = request.POST
        try:
            kind = post.get("kind", "")
            if kind == "decontamination":
                line_state.record_decontamination(
                    user,
                    cycle_id=post.get("cycle_id", ""),
                    done_at=_local_time(post.get("done_at", ""), "done_at"),
                    valid_until=_local_time(post.get("valid_until", ""), "valid_until"),
                    method=post.get("method", "VHP"),
                    password=post.get("password", ""),
                    totp_code=post.get("totp_code", ""),
                    request_id=rid,
                )
            elif kind == "format_parts":
                fmt = VialFormat.objects.filter(code=post.get("vial_format", "")).first()
                if fmt is None:
                    raise Refused("choose a vial format", field="vial_format")
                line_state.record_format_parts(
                    user,
                    set_code=post.get("set_code", ""),
                    vial_format=fmt,
                    cleaned_at=_local_time(post.get("cleaned_at", ""), "cleaned_at"),
                    sterilised_at=_local_time(post.get("sterilised_at", ""), "sterilised_at"),
                    valid_until=_local_time(post.get("valid_until", ""), "valid_until"),
                    sterilisation_cycle=post.get("sterilisation_cycle", ""),
                    password=post.get("password", ""),
                    totp_code=post.get("totp_code", ""),
                    request_id=rid,
                )
            elif kind in ("verify_decontamination", "verify_format_parts"):
                pk = _int(post.get("pk", ""), "pk")
                record: Decontamination | FormatPartsSet = (
                    get_object_or_404(Decontamination, pk=pk)
                    if kind == "verify_decontamination"
                    else get_object_or_404(FormatPartsSet, pk=pk)
                )
                line_state.verify(
                    user,
                    record,
                    password=post.get("password", ""),
                    totp_code=post.get("totp_code", ""),
                    request_id=rid,
                )
            else:
                raise Refused(f"unknown form {kind!r}", field="kind")
        except Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"{kind.replace('_', ' ')} signed")
            return redirect("batches:line_state")
    state = line_state.line_state()
    return render(
        request,
        "batches/line_state.html",
        {
            "state": state,
            "formats": VialFormat.objects.all(),
            "post": request.POST,
            "may_sign": user.role in ("technician", "pharmacist"),
        },
    )
