"""The stock ledger: locations, recording a movement, and balances derived from movements.

Balances are never stored. `record()` replays the lot's movements (a lot has tens of them,
not thousands: serials travel as ranges), applies the new one with the domain's rules
(`rempart.domain.stock.Ledger.apply`: no negative balance, serials must be where they leave
from) and only then inserts it, under a row lock on the lot so two writers cannot both
spend the same vials. `balances()` sums the movements in SQL; `check_ledger()` replays every
lot in Python and compares the two, so a movement written around the service (raw SQL,
bulk_create) that breaks the rules is found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, Sum

from rempart.domain.errors import InvalidValue
from rempart.domain.stock import (
    Ledger,
    Move,
    MovementKind,
    Ranges,
    format_ranges,
    parse_ranges,
    replay,
)
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.catalog.models import Hospital
from rempart.mes.core.errors import Refused
from rempart.mes.stock.models import Location, LocationKind, Lot, Movement

CENTRAL = "CENTRAL"
BAY = "CENTRAL-BAY"
TRANSIT = "TRANSIT"
RETURNS = "CENTRAL-RETURNS"

_FIXED = {
    CENTRAL: ("Pharmacie centrale (PUI productrice)", LocationKind.CENTRAL),
    BAY: ("Quai d'expédition", LocationKind.BAY),
    TRANSIT: ("En transit", LocationKind.TRANSIT),
    RETURNS: ("Retours (bloqués)", LocationKind.RETURNS),
}


def fixed_location(code: str) -> Location:
    """The central pharmacy, its bay, transit or returns area (created on first use)."""
    found = Location.objects.filter(code=code).first()
    if found is not None:
        return found
    name, kind = _FIXED[code]
    with audited_write(Actor.system("stock"), reason="stock location created"):
        return Location.objects.create(code=code, name=name, kind=kind.value)


def hospital_location(hospital: Hospital) -> Location:
    """The hospital's pharmacy as a stock location, at its first delivery site."""
    found = Location.objects.filter(hospital=hospital).first()
    if found is not None:
        return found
    site = hospital.sites.order_by("code").first()
    with audited_write(Actor.system("stock"), reason="stock location created"):
        return Location.objects.create(
            code=f"H-{hospital.code}",
            name=f"PUI {hospital.name}",
            kind=LocationKind.HOSPITAL.value,
            hospital=hospital,
            site=site,
        )


def _as_move(m: Movement) -> Move:
    return Move(
        MovementKind(m.kind),
        str(m.lot_id),
        None if m.source_id is None else str(m.source_id),
        None if m.target_id is None else str(m.target_id),
        m.quantity,
        parse_ranges(m.serials),
    )


def lot_ledger(lot: Lot) -> Ledger:
    """The lot's positions now, replayed from its movements."""
    return replay(_as_move(m) for m in Movement.objects.filter(lot=lot).order_by("id"))


def serials_at(lot: Lot, location: Location) -> tuple[int, Ranges | None]:
    """How many vials of `lot` are at `location`, and which (None when only counted)."""
    position = lot_ledger(lot).position(str(lot.pk), str(location.pk))
    return position.quantity, (position.serials if position.serials_known else None)


def record(
    actor: Actor,
    lot: Lot,
    kind: MovementKind,
    *,
    source: Location | None,
    target: Location | None,
    quantity: int,
    serials: Ranges = (),
    reason: str = "",
    dispatch_id: int | None = None,
    recall_id: int | None = None,
) -> Movement:
    """Append one checked movement; `Refused` naming the field, nothing written, otherwise.
    Runs inside the caller's audited transaction (or opens one)."""
    with audited_write(actor, reason=reason or f"stock {kind}"):
        # The row lock serialises writers of this lot (SQLite has one writer anyway).
        Lot.objects.select_for_update().filter(pk=lot.pk).first()
        ledger = lot_ledger(lot)
        move = Move(
            kind,
            str(lot.pk),
            None if source is None else str(source.pk),
            None if target is None else str(target.pk),
            quantity,
            serials,
        )
        try:
            ledger.apply(move)
        except InvalidValue as exc:
            where = source.name if source is not None else "stock"
            raise Refused(
                f"lot {lot.lot_number} at {where}: {exc.message}", field=exc.field or "quantity"
            ) from None
        return Movement.objects.create(
            lot=lot,
            kind=kind.value,
            source=source,
            target=target,
            quantity=quantity,
            serials=format_ranges(serials),
            reason=reason,
            actor=actor.printed_name,
            dispatch_id=dispatch_id,
            recall_id=recall_id,
        )


@dataclass(frozen=True, slots=True)
class Balance:
    lot_id: int
    location_id: int
    quantity: int


def balances(
    *, lots: Iterable[int] | None = None, locations: Iterable[int] | None = None
) -> dict[tuple[int, int], int]:
    """(lot id, location id) → vials, summed in SQL from the movements (non-zero only)."""
    filters = Q()
    if lots is not None:
        filters &= Q(lot_id__in=list(lots))
    incoming = Movement.objects.filter(filters, target__isnull=False)
    outgoing = Movement.objects.filter(filters, source__isnull=False)
    if locations is not None:
        wanted = list(locations)
        incoming = incoming.filter(target_id__in=wanted)
        outgoing = outgoing.filter(source_id__in=wanted)
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for row in incoming.values("lot_id", "target_id").annotate(n=Sum("quantity")):
        totals[(row["lot_id"], row["target_id"])] += row["n"]
    for row in outgoing.values("lot_id", "source_id").annotate(n=Sum("quantity")):
        totals[(row["lot_id"], row["source_id"])] -= row["n"]
    return {key: value for key, value in totals.items() if value}


def check_ledger() -> list[str]:
    """Every problem found replaying the whole ledger: a step that went negative or moved
    serials that were not there, or a SQL balance that differs from the replay. [] is good."""
    problems: list[str] = []
    by_lot: dict[int, list[Movement]] = defaultdict(list)
    for m in Movement.objects.order_by("id"):
        by_lot[m.lot_id].append(m)
    derived = balances()
    replayed: dict[tuple[int, int], int] = {}
    for lot_id, moves in by_lot.items():
        ledger = Ledger()
        for m in moves:
            try:
                ledger.apply(_as_move(m))
            except InvalidValue as exc:
                problems.append(f"lot {lot_id}, movement {m.pk} ({m.kind}): {exc.message}")
                break
        for (lot_key, location_key), qty in ledger.balances().items():
            replayed[(int(lot_key), int(location_key))] = qty
    if not problems:
        for key in sorted(set(derived) | set(replayed)):
            if derived.get(key, 0) != replayed.get(key, 0):
                problems.append(
                    f"lot {key[0]} at location {key[1]}: summed {derived.get(key, 0)}, "
                    f"replayed {replayed.get(key, 0)}"
                )
    for (lot_id, location_id), qty in derived.items():
        if qty < 0:
            problems.append(f"lot {lot_id} at location {location_id}: negative balance {qty}")
    return problems
