"""Distribution services: hospital orders, allocation of short stock, FEFO picking and
shipping (receipt at the hospital is in receiving.py).

Every write is one function here, checking the role with `require()` and the hospital
scope, inside `audited_write()`. A refusal raises `Refused` naming the field and writes
nothing (each service is one transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone

from rempart.domain.errors import InvalidValue
from rempart.domain.lot import LotStatus
from rempart.domain.roles import Action, Role
from rempart.domain.stock import (
    MovementKind,
    Ranges,
    StockLot,
    count,
    fefo,
    format_ranges,
    parse_ranges,
    shippable,
    take_first,
)
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.catalog.models import Hospital, Product
from rempart.mes.core.errors import Conflict, NotFound, NotPermitted, Refused
from rempart.mes.stock import ledger
from rempart.mes.stock.allocation import Demand, allocate
from rempart.mes.stock.lots import expire_lots
from rempart.mes.stock.models import (
    Dispatch,
    DispatchLine,
    DispatchStatus,
    Lot,
    Order,
    OrderLine,
    OrderStatus,
)

#: Orders a line may hold at most (a guard against typing errors, not a rule of the trade).
MAX_VIALS_PER_LINE = 100_000


def today() -> date:
    return timezone.localdate()


def min_residual_days() -> int:
    """Minimum residual shelf life at delivery (DOMAIN.md §8, 30 days **[A]**)."""
    return int(getattr(settings, "REMPART_MIN_RESIDUAL_SHELF_LIFE_DAYS", 30))


def near_expiry_days() -> int:
    """How far ahead the near-expiry view looks **[A]**."""
    return int(getattr(settings, "REMPART_NEAR_EXPIRY_DAYS", 60))


def check_hospital_scope(user: User, hospital_id: int) -> None:
    """An orderer acts only for their own hospital."""
    if user.role == Role.ORDERER and user.hospital_id != hospital_id:
        raise NotPermitted("this belongs to another hospital", field="hospital")


# --- orders -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineIn:
    product_code: str
    quantity: int


def place_order(
    user: User,
    lines: Sequence[LineIn],
    *,
    urgent: bool = False,
    note: str = "",
    request_id: str = "",
) -> Order:
    """An orderer's requisition for their hospital; each line names a product and vials."""
    require(user, Action.PLACE_ORDER)
    if user.hospital_id is None:
        raise NotPermitted("an orderer must belong to a hospital", field="hospital")
    if not lines:
        raise Refused("an order needs at least one line", field="lines")
    checked: list[tuple[Product, int]] = []
    seen: set[str] = set()
    for index, line in enumerate(lines, start=1):
        code = line.product_code.strip()
        product = Product.objects.filter(code=code).first()
        if product is None:
            raise Refused(f"line {index}: unknown product {code!r}", field=f"lines.{index}.product")
        if code in seen:
            raise Refused(
                f"line {index}: {code} is already ordered above", field=f"lines.{index}.product"
            )
        seen.add(code)
        quantity = line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise Refused(
                f"line {index}: the quantity must be a positive number of vials",
                field=f"lines.{index}.quantity",
            )
        if quantity > MAX_VIALS_PER_LINE:
            raise Refused(
                f"line {index}: at most {MAX_VIALS_PER_LINE} vials per line",
                field=f"lines.{index}.quantity",
            )
        checked.append((product, quantity))
    if len(note) > 500:
        raise Refused("the note has at most 500 characters", field="note")
    with audited_write(actor_for(user, request_id), reason="hospital order placed"):
        assert user.hospital is not None
        order = Order.objects.create(
            hospital=user.hospital,
            site=user.hospital.sites.order_by("code").first(),
            placed_by=user,
            urgent=urgent,
            note=note.strip(),
        )
        for product, quantity in checked:
            OrderLine.objects.create(order=order, product=product, quantity_requested=quantity)
    return order


def cancel_order(user: User, order: Order, reason: str, request_id: str = "") -> Order:
    """The orderer (own hospital) or the central pharmacy cancels an order not yet picked."""
    if user.role == Role.ORDERER:
        require(user, Action.PLACE_ORDER)
        check_hospital_scope(user, order.hospital_id)
    else:
        require(user, Action.MANAGE_STOCK)
    if not reason.strip():
        raise Refused("say why the order is cancelled", field="reason")
    if order.status not in (OrderStatus.OPEN, OrderStatus.ALLOCATED):
        raise Conflict(
            f"{order.number} is {order.status}; it can no longer be cancelled", field="status"
        )
    with audited_write(actor_for(user, request_id), reason=reason.strip()):
        changed = Order.objects.filter(pk=order.pk, status=order.status).update(
            status=OrderStatus.CANCELLED.value
        )
        if changed != 1:
            raise Conflict(f"{order.number} changed meanwhile; reload it", field="status")
    order.refresh_from_db()
    return order


# --- central stock and allocation ---------------------------------------------------------


def central_stock(product: Product) -> list[tuple[Lot, int]]:
    """Lots of `product` at the central pharmacy with their vials there (any status)."""
    central = ledger.fixed_location(ledger.CENTRAL)
    lots = {lot.pk: lot for lot in Lot.objects.filter(batch__product=product)}
    held = ledger.balances(lots=lots, locations=[central.pk])
    return sorted(
        ((lots[lot_id], qty) for (lot_id, _), qty in held.items() if qty > 0),
        key=lambda pair: (pair[0].expiry_date or date.max, pair[0].lot_number),
    )


def _stock_lots(product: Product) -> list[StockLot]:
    return [
        StockLot(lot.lot_number, LotStatus(lot.status), lot.expiry_date, qty)
        for lot, qty in central_stock(product)
    ]


def shippable_supply(product: Product, on: date | None = None) -> int:
    day = on or today()
    return sum(
        lot.available for lot in _stock_lots(product) if shippable(lot, day, min_residual_days())
    )


def allocate_product(user: User, product: Product, request_id: str = "") -> list[OrderLine]:
    """Share the shippable central stock of `product` among the open order lines.

    Every open or allocated (not yet picked) line of the product is (re)allocated: in full
    when the stock covers them all, otherwise by PPA with urgent orders first (see
    `rempart.mes.stock.allocation`). Each line records its share and the reason.
    """
    require(user, Action.MANAGE_STOCK)
    expire_lots(today())
    lines = list(
        OrderLine.objects.filter(
            product=product, order__status__in=(OrderStatus.OPEN, OrderStatus.ALLOCATED)
        )
        .select_related("order__hospital")
        .order_by("order__created_at", "order_id", "id")
    )
    if not lines:
        raise Refused(f"no open order for {product.code}", field="product")
    supply = shippable_supply(product)
    decisions = allocate(
        supply,
        [
            Demand(line.pk, line.order.hospital.code, line.quantity_requested, line.order.urgent)
            for line in lines
        ],
    )
    by_id = {line.pk: line for line in lines}
    with audited_write(actor_for(user, request_id), reason=f"allocation of {product.code}"):
        for decision in decisions:
            line = by_id[decision.line_id]
            OrderLine.objects.filter(pk=line.pk).update(
                quantity_allocated=decision.quantity, allocation_reason=decision.reason[:600]
            )
        orders = {line.order_id for line in lines}
        for order in Order.objects.filter(pk__in=orders, status=OrderStatus.OPEN):
            open_lines = order.lines.filter(quantity_allocated__isnull=True)
            if not open_lines.exists():
                Order.objects.filter(pk=order.pk).update(status=OrderStatus.ALLOCATED.value)
    return list(OrderLine.objects.filter(pk__in=by_id).order_by("id"))


# --- picking and shipping ------------------------------------------------------------------


def pick_order(user: User, order: Order, request_id: str = "") -> Dispatch:
    """Pick an allocated order first-expiry-first-out into a dispatch (the vials move to
    the dispatch bay; the dispatch note can be printed)."""
    require(user, Action.MANAGE_STOCK)
    if order.status != OrderStatus.ALLOCATED:
        raise Conflict(f"{order.number} is {order.status}, not allocated", field="status")
    expire_lots(today())
    wanted = [line for line in order.lines.select_related("product") if line.quantity_allocated]
    if not wanted:
        raise Refused(f"nothing is allocated to {order.number}", field="quantity_allocated")
    actor = actor_for(user, request_id)
    central = ledger.fixed_location(ledger.CENTRAL)
    bay = ledger.fixed_location(ledger.BAY)
    with audited_write(actor, reason=f"picking {order.number}"):
        changed = Order.objects.filter(pk=order.pk, status=OrderStatus.ALLOCATED).update(
            status=OrderStatus.PICKED.value
        )
        if changed != 1:
            raise Conflict(f"{order.number} changed meanwhile; reload it", field="status")
        dispatch = Dispatch.objects.create(
            order=order, hospital_id=order.hospital_id, picked_by=actor.printed_name
        )
        for line in wanted:
            assert line.quantity_allocated is not None
            try:
                picks = fefo(
                    _stock_lots(line.product),
                    line.quantity_allocated,
                    today(),
                    min_residual_days=min_residual_days(),
                )
            except InvalidValue as exc:
                raise Refused(
                    f"{line.product.code}: {exc.message}; allocate again", field="quantity"
                ) from None
            for pick in picks:
                lot = Lot.objects.get(lot_number=pick.lot)
                _, serials = ledger.serials_at(lot, central)
                chosen: Ranges = take_first(serials, pick.quantity) if serials else ()
                DispatchLine.objects.create(
                    dispatch=dispatch,
                    order_line=line,
                    lot=lot,
                    quantity=pick.quantity,
                    serials=format_ranges(chosen),
                )
                ledger.record(
                    actor,
                    lot,
                    MovementKind.PICK,
                    source=central,
                    target=bay,
                    quantity=pick.quantity,
                    serials=chosen,
                    reason=f"picked for {order.number}",
                    dispatch_id=dispatch.pk,
                )
    return dispatch


def _blocked(lot: Lot) -> str | None:
    if lot.status != LotStatus.RELEASED.value:
        return f"lot {lot.lot_number} is {lot.status}"
    if lot.expiry_date is None or lot.expiry_date < today():
        return f"lot {lot.lot_number} is past its expiry {lot.expiry_date}"
    return None


def ship_dispatch(user: User, dispatch: Dispatch, request_id: str = "") -> Dispatch:
    """The picked vials leave: bay → in transit. Refused if any lot is no longer released
    and in date (a recall or expiry since picking)."""
    require(user, Action.MANAGE_STOCK)
    if dispatch.status != DispatchStatus.PICKED:
        raise Conflict(f"{dispatch.number} is {dispatch.status}, not picked", field="status")
    expire_lots(today())
    actor = actor_for(user, request_id)
    bay = ledger.fixed_location(ledger.BAY)
    transit = ledger.fixed_location(ledger.TRANSIT)
    lines = list(dispatch.lines.select_related("lot"))
    for line in lines:
        problem = _blocked(line.lot)
        if problem:
            raise Conflict(f"{problem}: it cannot be shipped", field="lot")
    with audited_write(actor, reason=f"shipping {dispatch.number}"):
        changed = Dispatch.objects.filter(pk=dispatch.pk, status=DispatchStatus.PICKED).update(
            status=DispatchStatus.SHIPPED.value,
            shipped_by=actor.printed_name,
            shipped_at=timezone.now(),
        )
        if changed != 1:
            raise Conflict(f"{dispatch.number} changed meanwhile; reload it", field="status")
        Order.objects.filter(pk=dispatch.order_id).update(status=OrderStatus.DISPATCHED.value)
        for line in lines:
            ledger.record(
                actor,
                line.lot,
                MovementKind.DISPATCH,
                source=bay,
                target=transit,
                quantity=line.quantity,
                serials=parse_ranges(line.serials),
                reason=f"{dispatch.number} to {dispatch.hospital.name}",
                dispatch_id=dispatch.pk,
            )
    dispatch.refresh_from_db()
    return dispatch


def unpick(user: User, dispatch: Dispatch, reason: str, request_id: str = "") -> Dispatch:
    """Cancel a picked, unshipped dispatch: its vials go back to central stock."""
    require(user, Action.MANAGE_STOCK)
    if not reason.strip():
        raise Refused("say why the pick is cancelled", field="reason")
    with audited_write(actor_for(user, request_id), reason=reason.strip()):
        _unpick(actor_for(user, request_id), dispatch, reason.strip())
    dispatch.refresh_from_db()
    return dispatch


def _unpick(actor: Actor, dispatch: Dispatch, reason: str) -> None:
    changed = Dispatch.objects.filter(pk=dispatch.pk, status=DispatchStatus.PICKED).update(
        status=DispatchStatus.CANCELLED.value
    )
    if changed != 1:
        raise Conflict(f"{dispatch.number} is not a picked dispatch", field="status")
    bay = ledger.fixed_location(ledger.BAY)
    central = ledger.fixed_location(ledger.CENTRAL)
    for line in dispatch.lines.select_related("lot"):
        ledger.record(
            actor,
            line.lot,
            MovementKind.UNPICK,
            source=bay,
            target=central,
            quantity=line.quantity,
            serials=parse_ranges(line.serials),
            reason=reason,
            dispatch_id=dispatch.pk,
        )
    Order.objects.filter(pk=dispatch.order_id).update(status=OrderStatus.CANCELLED.value)


# --- lookups ------------------------------------------------------------------------------


def order_for(user: User, number_or_pk: str | int) -> Order:
    """The order by pk or number ("CMD-000012"), within the user's scope; NotFound else."""
    raw = str(number_or_pk).upper().removeprefix("CMD-")
    if not raw.isdigit():
        raise NotFound(f"no order {number_or_pk}", field="order")
    order = Order.objects.select_related("hospital").filter(pk=int(raw)).first()
    if order is None or (user.role == Role.ORDERER and order.hospital_id != user.hospital_id):
        raise NotFound(f"no order {number_or_pk}", field="order")
    return order


def dispatch_for(user: User, number_or_pk: str | int) -> Dispatch:
    raw = str(number_or_pk).upper().removeprefix("EXP-")
    if not raw.isdigit():
        raise NotFound(f"no dispatch {number_or_pk}", field="dispatch")
    dispatch = Dispatch.objects.select_related("hospital", "order").filter(pk=int(raw)).first()
    if dispatch is None or (user.role == Role.ORDERER and dispatch.hospital_id != user.hospital_id):
        raise NotFound(f"no dispatch {number_or_pk}", field="dispatch")
    return dispatch


def visible_orders(user: User) -> list[Order]:
    orders = Order.objects.select_related("hospital").prefetch_related("lines__product")
    if user.role == Role.ORDERER:
        orders = orders.filter(hospital_id=user.hospital_id or 0)
    return list(orders[:200])


def hospital_of(user: User) -> Hospital | None:
    return user.hospital if user.role == Role.ORDERER else None


def count_serials(text: str) -> int:
    return count(parse_ranges(text))


# --- returns and destruction --------------------------------------------------------------


def return_to_central(
    user: User, lot: Lot, quantity: int, reason: str, request_id: str = ""
) -> None:
    """A hospital's orderer sends vials of `lot` back: hospital → the blocked returns area;
    returned vials are never put back into saleable stock (they are destroyed there)."""
    require(user, Action.RECEIVE_DELIVERY)
    if user.hospital is None:
        raise NotPermitted("an orderer must belong to a hospital", field="hospital")
    if not reason.strip():
        raise Refused("say why the vials are returned", field="reason")
    ledger.record(
        actor_for(user, request_id),
        lot,
        MovementKind.RETURN,
        source=ledger.hospital_location(user.hospital),
        target=ledger.fixed_location(ledger.RETURNS),
        quantity=quantity,
        reason=reason.strip(),
    )


def destroy(
    user: User, lot: Lot, location_code: str, quantity: int, reason: str, request_id: str = ""
) -> None:
    """The central pharmacy destroys vials held at the central pharmacy or in the returns
    area (expired, recalled, damaged, returned): they leave stock, with the reason."""
    require(user, Action.MANAGE_STOCK)
    if location_code not in (ledger.CENTRAL, ledger.RETURNS):
        raise Refused(
            f"vials are destroyed from {ledger.CENTRAL} or {ledger.RETURNS}", field="location"
        )
    if not reason.strip():
        raise Refused("say why the vials are destroyed", field="reason")
    if lot.status == LotStatus.RELEASED.value and location_code == ledger.CENTRAL:
        raise Conflict(
            f"lot {lot.lot_number} is released: block it (damaged, recalled) before destroying",
            field="status",
        )
    ledger.record(
        actor_for(user, request_id),
        lot,
        MovementKind.DESTRUCTION,
        source=ledger.fixed_location(location_code),
        target=None,
        quantity=quantity,
        reason=reason.strip(),
    )
