"""Accepting a plan: a pharmacist's e-signature (meaning *approved*), then batch orders.

Each lot of the plan (product × day) becomes one or more draft batch orders (state PLANNED)
of the product's approved master record, through `rempart.mes.batches.services.
create_batch_order` — never directly. A lot larger than one validated batch (the envelope of
the last media fill: its maximum size, and its maximum duration at the nominal line rate) is
split into equal batches within it. A lot the batch service refuses (no approved master
record, outside the envelope...) is recorded with the refusal. Accepting is idempotent: a run
accepted once returns its orders, and nothing more is created.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models.functions import Now

from rempart.domain.master_record import MasterRecordState
from rempart.domain.roles import Action
from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import audited_write
from rempart.mes.batches.services import (
    LINE_RATE_VIALS_PER_H,
    create_batch_order,
    expected_duration_h,
)
from rempart.mes.catalog.models import MasterRecord, Product
from rempart.mes.core.errors import Conflict, Refused
from rempart.mes.planboard.models import PlanOrder, PlanRun, RunStatus
from rempart.mes.signatures.services import check_signer_may_sign, write_signature

#: First batch of a day starts at this local time; the next ones follow one another.
DAY_START = time(6, 0)


@dataclass(frozen=True, slots=True)
class AcceptOutcome:
    run: PlanRun
    orders: tuple[PlanOrder, ...]
    already_accepted: bool

    @property
    def made(self) -> tuple[PlanOrder, ...]:
        return tuple(o for o in self.orders if o.batch_id is not None)

    @property
    def refused(self) -> tuple[PlanOrder, ...]:
        return tuple(o for o in self.orders if o.batch_id is None)


def batch_sizes(vials: int, record: MasterRecord) -> list[int]:
    """`vials` split into equal batches, each within the record's validated envelope."""
    by_duration = math.floor(float(record.envelope_max_duration_h) * LINE_RATE_VIALS_PER_H)
    largest = max(1, min(record.envelope_max_batch_vials, by_duration))
    count = max(1, math.ceil(vials / largest))
    base, extra = divmod(vials, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def _approved(product: Product | None) -> MasterRecord | None:
    if product is None:
        return None
    return (
        MasterRecord.objects.filter(product=product, state=MasterRecordState.APPROVED.value)
        .order_by("-version")
        .first()
    )


def accept_plan(
    user: User,
    run: PlanRun,
    *,
    password: str,
    totp_code: str,
    request_id: str = "",
) -> AcceptOutcome:
    """Sign the plan as approved and order its lots as draft batches (once)."""
    require(user, Action.PLAN_PRODUCTION)
    run.refresh_from_db()
    if run.accepted_at is not None:
        return AcceptOutcome(run, tuple(run.orders.select_related("batch")), True)
    if run.status != RunStatus.DONE or not run.plan:
        raise Conflict(f"run {run.pk} is {run.status}: only a solved plan is accepted", field="run")
    check_signer_may_sign(
        user, meaning=Meaning.APPROVED.value, password=password, totp_code=totp_code
    )
    zone = ZoneInfo(settings.TIME_ZONE)
    lots = sorted(
        run.plan.get("plan", {}).get("lots", []), key=lambda lot: (lot["period"], lot["product"])
    )
    actor = actor_for(user, request_id)
    with audited_write(actor, reason=f"plan {run.pk} accepted"):
        locked = PlanRun.objects.select_for_update().get(pk=run.pk)
        if locked.accepted_at is not None:  # accepted meanwhile, by another request
            return AcceptOutcome(locked, tuple(locked.orders.select_related("batch")), True)
        write_signature(
            user, locked, Meaning.APPROVED, comment="plan accepted", request_id=request_id
        )
        PlanRun.objects.filter(pk=run.pk).update(accepted_at=Now(), accepted_by=user)
        next_start: dict[date, datetime] = {}
        orders_on: dict[date, int] = {}
        for lot in lots:
            vials = round(float(lot["vials"]))
            if vials <= 0:
                continue
            code, period = str(lot["product"]), int(lot["period"])
            day = run.start_date + timedelta(days=period)
            product = Product.objects.filter(code=code).first()
            record = _approved(product)
            if record is None:
                PlanOrder.objects.create(
                    run=locked,
                    product_code=code,
                    period=period,
                    vials=vials,
                    refused_field="master_record",
                    refused_reason=f"{code} has no approved master record",
                )
                continue
            for size in batch_sizes(vials, record):
                start = next_start.get(day, datetime.combine(day, DAY_START, tzinfo=zone))
                orders_on[day] = orders_on.get(day, 0) + 1
                # The batch number becomes the lot's GS1 number (AI 10, 20 characters at most),
                # so it names the run, the day and the order of that day, not the product.
                number = f"PB{run.pk}-{day:%y%m%d}-{orders_on[day]}"
                try:
                    batch = create_batch_order(
                        user,
                        batch_number=number,
                        master_record=record,
                        quantity_vials=size,
                        planned_start=start,
                        request_id=request_id,
                    )
                except Refused as exc:
                    PlanOrder.objects.create(
                        run=locked,
                        product_code=code,
                        period=period,
                        vials=size,
                        refused_field=exc.field or "",
                        refused_reason=exc.message,
                    )
                    continue
                next_start[day] = start + timedelta(hours=float(expected_duration_h(size)))
                PlanOrder.objects.create(
                    run=locked, product_code=code, period=period, vials=size, batch=batch
                )
    locked.refresh_from_db()
    return AcceptOutcome(locked, tuple(locked.orders.select_related("batch")), False)
