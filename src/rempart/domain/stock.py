"""Stock rules without Django: serial ranges, the movement ledger, FEFO picking, expiry
windows and the recall reconciliation (DOMAIN.md §5.2 rule 1, §8 "Fair allocation").

The MES keeps every stock change as an append-only movement (lot, from, to, quantity, the
serials it moves). Balances are never stored: `replay()` derives them from the movements and
refuses any step that would leave a location negative, so a ledger that passes `replay()` is
consistent by construction.

Serials are vial sequence numbers inside a lot (the label's AI 21 is the sequence,
zero-padded). A movement stores them as sorted inclusive ranges, "1-250,260-300", so that
8,000 vials take a few bytes instead of 8,000 rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from itertools import pairwise

from rempart.domain.errors import InvalidValue
from rempart.domain.lot import LotStatus, is_expired

Ranges = tuple[tuple[int, int], ...]


# --- serial ranges ----------------------------------------------------------------------


def ranges_of(sequences: Iterable[int]) -> Ranges:
    """Sorted, merged inclusive ranges of the given vial sequences (duplicates refused)."""
    ordered = sorted(sequences)
    out: list[tuple[int, int]] = []
    previous: int | None = None
    for value in ordered:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidValue(f"a vial sequence is a positive whole number, got {value!r}")
        if value == previous:
            raise InvalidValue(f"vial {value} is listed twice", field="serials")
        if out and value == out[-1][1] + 1:
            out[-1] = (out[-1][0], value)
        else:
            out.append((value, value))
        previous = value
    return tuple(out)


def format_ranges(ranges: Ranges) -> str:
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def parse_ranges(text: str) -> Ranges:
    """The ranges written by `format_ranges` ("" is no serials); `InvalidValue` otherwise."""
    if not text.strip():
        return ()
    found: list[int] = []
    pairs: list[tuple[int, int]] = []
    for part in text.split(","):
        bounds = part.strip().split("-")
        if len(bounds) > 2 or not all(b.strip().isdigit() for b in bounds):
            raise InvalidValue(f"unreadable serial range {part!r}", field="serials")
        low, high = int(bounds[0]), int(bounds[-1])
        if low < 1 or high < low:
            raise InvalidValue(f"unreadable serial range {part!r}", field="serials")
        pairs.append((low, high))
        found.extend((low, high))
    pairs.sort()
    for (_, a_high), (b_low, _) in pairwise(pairs):
        if b_low <= a_high:
            raise InvalidValue(f"serial ranges overlap in {text!r}", field="serials")
    merged: list[tuple[int, int]] = []
    for low, high in pairs:
        if merged and low == merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return tuple(merged)


def count(ranges: Ranges) -> int:
    return sum(b - a + 1 for a, b in ranges)


def contains(ranges: Ranges, sequence: int) -> bool:
    return any(a <= sequence <= b for a, b in ranges)


def subtract(ranges: Ranges, removed: Ranges) -> Ranges:
    """`ranges` without `removed`; `InvalidValue` when something removed is not in `ranges`."""
    if count(intersect(ranges, removed)) != count(removed):
        raise InvalidValue("some of these serials are not at this location", field="serials")
    out: list[tuple[int, int]] = []
    for low, high in ranges:
        pieces = [(low, high)]
        for r_low, r_high in removed:
            next_pieces = []
            for p_low, p_high in pieces:
                if r_high < p_low or r_low > p_high:
                    next_pieces.append((p_low, p_high))
                    continue
                if p_low < r_low:
                    next_pieces.append((p_low, r_low - 1))
                if r_high < p_high:
                    next_pieces.append((r_high + 1, p_high))
            pieces = next_pieces
        out.extend(pieces)
    return tuple(out)


def union(a: Ranges, b: Ranges) -> Ranges:
    """Both sets together; they must not share a serial (a vial is in one place)."""
    if intersect(a, b):
        raise InvalidValue("a serial would be in the same place twice", field="serials")
    merged: list[tuple[int, int]] = []
    for low, high in sorted(a + b):
        if merged and low == merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return tuple(merged)


def intersect(a: Ranges, b: Ranges) -> Ranges:
    out = []
    for a_low, a_high in a:
        for b_low, b_high in b:
            low, high = max(a_low, b_low), min(a_high, b_high)
            if low <= high:
                out.append((low, high))
    return tuple(sorted(out))


def take_first(ranges: Ranges, quantity: int) -> Ranges:
    """The `quantity` lowest serials of `ranges` (picking takes vials in sequence order)."""
    if quantity < 0 or quantity > count(ranges):
        raise InvalidValue(f"cannot take {quantity} of {count(ranges)} vials", field="quantity")
    out: list[tuple[int, int]] = []
    left = quantity
    for low, high in ranges:
        if left == 0:
            break
        size = min(left, high - low + 1)
        out.append((low, low + size - 1))
        left -= size
    return tuple(out)


# --- the movement ledger ----------------------------------------------------------------


class MovementKind(StrEnum):
    """Each kind says where vials come from and go to (`None` = outside the stock)."""

    RELEASE_RECEIPT = "release_receipt"  # released lot enters central stock
    PICK = "pick"  # central stock → the dispatch bay, for one dispatch
    UNPICK = "unpick"  # dispatch bay → central stock (a pick cancelled)
    DISPATCH = "dispatch"  # dispatch bay → in transit to a hospital
    HOSPITAL_RECEIPT = "hospital_receipt"  # in transit → the hospital's pharmacy
    RETURN = "return"  # a hospital sends vials back to the returns area
    RECALL_RETURN = "recall_return"  # a hospital returns recalled vials
    USE_DECLARED = "use_declared"  # a hospital declares vials used (out of stock)
    DESTRUCTION = "destruction"  # vials destroyed (out of stock)
    LOSS = "loss"  # vials missing after an explained investigation (out of stock)


K = MovementKind

#: Kinds that create vials in stock (from outside) and kinds that remove them.
FROM_OUTSIDE = frozenset({K.RELEASE_RECEIPT})
TO_OUTSIDE = frozenset({K.USE_DECLARED, K.DESTRUCTION, K.LOSS})


@dataclass(frozen=True, slots=True)
class Move:
    """One movement as the ledger replays it; locations are opaque keys (codes or ids)."""

    kind: MovementKind
    lot: str
    source: str | None
    target: str | None
    quantity: int
    serials: Ranges = ()


def check_move(move: Move) -> None:
    """Shape rules of one movement, whatever the balances."""
    if isinstance(move.quantity, bool) or not isinstance(move.quantity, int) or move.quantity <= 0:
        raise InvalidValue(
            f"the quantity must be a positive whole number, got {move.quantity!r}",
            field="quantity",
        )
    if move.serials and count(move.serials) != move.quantity:
        raise InvalidValue(
            f"{count(move.serials)} serials listed for a quantity of {move.quantity}",
            field="serials",
        )
    if (move.source is None) != (move.kind in FROM_OUTSIDE):
        raise InvalidValue(f"a {move.kind} movement has the wrong origin", field="source")
    if (move.target is None) != (move.kind in TO_OUTSIDE):
        raise InvalidValue(f"a {move.kind} movement has the wrong destination", field="target")
    if move.source is not None and move.source == move.target:
        raise InvalidValue("a movement goes somewhere else", field="target")


@dataclass
class Position:
    """What one location holds of one lot: a count, and the serials when they are known."""

    quantity: int = 0
    serials: Ranges = ()
    #: False once a movement without serials touched it (only the count is known then).
    serials_known: bool = True


@dataclass
class Ledger:
    """Balances per (lot, location) derived by replaying movements in order."""

    positions: dict[tuple[str, str], Position] = field(default_factory=dict)

    def position(self, lot: str, location: str) -> Position:
        return self.positions.setdefault((lot, location), Position())

    def apply(self, move: Move) -> None:
        """Apply one movement; `InvalidValue` (nothing applied) if it would go negative or
        move serials that are not at its origin."""
        check_move(move)
        if move.source is not None:
            here = self.position(move.lot, move.source)
            if here.quantity < move.quantity:
                raise InvalidValue(
                    f"only {here.quantity} vials of lot {move.lot} at {move.source}, "
                    f"cannot move {move.quantity}",
                    field="quantity",
                )
            if move.serials and here.serials_known:
                remaining = subtract(here.serials, move.serials)
            else:
                remaining = ()
            here.quantity -= move.quantity
            here.serials = remaining
            here.serials_known = here.serials_known and bool(move.serials or not here.quantity)
        if move.target is not None:
            there = self.position(move.lot, move.target)
            if move.serials and there.serials_known:
                there.serials = union(there.serials, move.serials)
            else:
                there.serials_known = False
                there.serials = ()
            there.quantity += move.quantity

    def balances(self) -> dict[tuple[str, str], int]:
        return {key: p.quantity for key, p in self.positions.items() if p.quantity}


def replay(moves: Iterable[Move]) -> Ledger:
    """The ledger after every movement, in order; `InvalidValue` names the first bad one."""
    ledger = Ledger()
    for index, move in enumerate(moves, start=1):
        try:
            ledger.apply(move)
        except InvalidValue as exc:
            raise InvalidValue(
                f"movement {index} ({move.kind}): {exc.message}", field=exc.field
            ) from None
    return ledger


# --- picking ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StockLot:
    """A lot as picking sees it at the central pharmacy."""

    lot: str
    status: LotStatus
    expiry: date | None
    available: int


@dataclass(frozen=True, slots=True)
class PickLine:
    lot: str
    expiry: date
    quantity: int


def removal_date(expiry: date, min_residual_days: int) -> date:
    """The last day a lot may leave the central pharmacy: expiry − minimum residual shelf
    life (DOMAIN.md §8), so a hospital never receives a vial about to expire."""
    if min_residual_days < 0:
        raise InvalidValue("the minimum residual shelf life cannot be negative", field="days")
    return expiry - timedelta(days=min_residual_days)


def shippable(lot: StockLot, today: date, min_residual_days: int) -> bool:
    return (
        lot.status is LotStatus.RELEASED
        and lot.expiry is not None
        and not is_expired(lot.expiry, today)
        and today <= removal_date(lot.expiry, min_residual_days)
        and lot.available > 0
    )


def fefo(
    lots: Sequence[StockLot], quantity: int, today: date, *, min_residual_days: int = 0
) -> list[PickLine]:
    """First expiry, first out: take `quantity` vials from the shippable lots, earliest
    expiry first (ties by lot number). Refuses (`InvalidValue`, field quantity) when the
    shippable stock is short; never picks a quarantine, recalled, expired or damaged lot."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidValue("the quantity to pick must be a positive whole number", field="quantity")
    candidates = sorted(
        (lot for lot in lots if shippable(lot, today, min_residual_days)),
        key=lambda lot: (lot.expiry, lot.lot),
    )
    available = sum(lot.available for lot in candidates)
    if available < quantity:
        raise InvalidValue(
            f"only {available} vials can be shipped, {quantity} asked", field="quantity"
        )
    picks = []
    left = quantity
    for lot in candidates:
        take = min(left, lot.available)
        assert lot.expiry is not None
        picks.append(PickLine(lot.lot, lot.expiry, take))
        left -= take
        if left == 0:
            break
    return picks


# --- expiry -----------------------------------------------------------------------------


def days_left(expiry: date, today: date) -> int:
    return (expiry - today).days


def near_expiry(expiry: date | None, today: date, window_days: int) -> bool:
    """Released stock usable today that expires within `window_days` (inclusive)."""
    return (
        expiry is not None
        and not is_expired(expiry, today)
        and days_left(expiry, today) <= (window_days)
    )


# --- recall -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecallLine:
    """One hospital's account of a recalled lot."""

    hospital: str
    dispatched: int
    returned: int
    used: int

    @property
    def missing(self) -> int:
        return self.dispatched - self.returned - self.used


def check_recall_line(line: RecallLine, explanation: str) -> None:
    """dispatched = returned + used + missing, with missing ≥ 0 and explained when > 0."""
    for name in ("returned", "used"):
        value = getattr(line, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidValue(f"{name} must be a whole number ≥ 0", field=name)
    if line.missing < 0:
        raise InvalidValue(
            f"{line.hospital}: returned {line.returned} + used {line.used} is more than the "
            f"{line.dispatched} dispatched",
            field="returned",
        )
    if line.missing > 0 and not explanation.strip():
        raise InvalidValue(
            f"{line.hospital}: {line.missing} vials unaccounted for; explain them",
            field="explanation",
        )


def reconciliation_text(lines: Sequence[RecallLine], explanations: Mapping[str, str]) -> str:
    """The reconciliation the recall's closing signature binds, one line per hospital."""
    rows = []
    for line in sorted(lines, key=lambda r: r.hospital):
        note = explanations.get(line.hospital, "").strip()
        rows.append(
            f"{line.hospital}: dispatched {line.dispatched} = returned {line.returned} + used "
            f"{line.used} + missing {line.missing}" + (f" ({note})" if note else "")
        )
    total = RecallLine(
        "total",
        sum(r.dispatched for r in lines),
        sum(r.returned for r in lines),
        sum(r.used for r in lines),
    )
    rows.append(
        f"total: dispatched {total.dispatched} = returned {total.returned} + used "
        f"{total.used} + missing {total.missing}"
    )
    return "\n".join(rows)
