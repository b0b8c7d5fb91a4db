"""Label use cases: product coding and the issuer (pharmacist), controlled printing (print,
reprint with a reason, applied/destroyed/returned counts) and the label reconciliation.

Every write is one function here, inside `audited_write()`; rules live in
`rempart.domain.labels` and `rempart.domain.gs1`. A refusal changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Sum

from rempart.domain.errors import DomainError
from rempart.domain.gs1 import validate_gtin14
from rempart.domain.labels import (
    LabelContent,
    LabelFacts,
    PrintKind,
    check_count,
    check_printable,
    label_content,
    parse_ranges,
    plan_print,
    ranges,
)
from rempart.domain.lot import LotStatus
from rempart.domain.products import RegulatoryStatus, Storage
from rempart.domain.release import LabelReconciliation
from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import audited_write
from rempart.mes.catalog.models import Product
from rempart.mes.core.errors import Conflict, Refused
from rempart.mes.labels import identity
from rempart.mes.labels.models import (
    CountKind,
    LabelCount,
    LabelIssuer,
    LabelPrint,
    ProductLabel,
)
from rempart.mes.machine.models import VialRecord
from rempart.mes.stock.models import Lot

#: The terminal state of a good vial (rempart.mes.machine.derive.TERMINAL_STATES).
ACCEPTED = "accepted"

#: Who may change how products are coded and labelled, and the issuer: pharmacists only
#: (the matrix has no label-settings action yet; drafting master data is the closest one).
CONFIGURE = Action.DRAFT_MASTER_RECORD


def _refused(exc: DomainError, default_field: str) -> Refused:
    return Refused(exc.message, field=exc.field or default_field)


def _today() -> date:
    return datetime.now(ZoneInfo(settings.TIME_ZONE)).date()


# --- reading -------------------------------------------------------------------------------


def good_vial_sequences(lot: Lot) -> list[int]:
    """The sequences of the lot's accepted vials: one label each."""
    return list(
        VialRecord.objects.filter(batch_number=lot.batch.batch_number, terminal_state=ACCEPTED)
        .order_by("vial_sequence")
        .values_list("vial_sequence", flat=True)
    )


def printed_sequences(lot: Lot) -> set[int]:
    """Vial sequences whose label was printed at least once."""
    out: set[int] = set()
    for text in LabelPrint.objects.filter(lot=lot, kind=PrintKind.PRINT.value).values_list(
        "serials", flat=True
    ):
        out.update(parse_ranges(text))
    return out


def issuer() -> LabelIssuer | None:
    return LabelIssuer.objects.order_by("pk").first()


def label_facts(lot: Lot) -> LabelFacts:
    """What the lot's labels are made from; `Refused` naming what is not set."""
    if lot.expiry_date is None:
        raise Refused(f"lot {lot.lot_number} has no expiry date yet", field="expiry")
    product = lot.batch.product
    settings_row = ProductLabel.objects.filter(product=product).first()
    who = issuer()
    return LabelFacts(
        product_name=product.name,
        molecule=product.molecule.inn,
        concentration_mg_per_ml=product.concentration_mg_per_ml,
        fill_volume_ml=product.fill_volume_ml,
        route=settings_row.route if settings_row else "",
        storage=Storage(product.storage),
        regulatory_status=RegulatoryStatus(product.regulatory_status),
        lot=lot.lot_number,
        expiry=lot.expiry_date,
        issuer_name=who.name if who else "",
        issuer_address=who.address if who else "",
        issuer_phone=who.phone if who else "",
        trial_reference=product.trial_reference,
        blinded=bool(settings_row and settings_row.blinded),
        blinded_name=settings_row.blinded_name if settings_row else "",
    )


def content_for(lot: Lot) -> LabelContent:
    try:
        return label_content(label_facts(lot))
    except DomainError as exc:
        hint = {
            "route": "set the route on the product's label settings",
            "issuer": "set the pharmacy's name in the label settings",
        }.get(exc.field or "")
        raise Refused(f"{exc.message}{f' ({hint})' if hint else ''}", field=exc.field) from None


def label_reconciliation(lot: Lot) -> LabelReconciliation | None:
    """Printed against applied + destroyed + returned, for the release checklist; None while
    no label of the lot was printed."""
    printed = LabelPrint.objects.filter(lot=lot).aggregate(n=Sum("quantity"))["n"]
    if printed is None:
        return None
    counts = dict(
        LabelCount.objects.filter(lot=lot)
        .values("kind")
        .annotate(n=Sum("quantity"))
        .values_list("kind", "n")
    )
    return LabelReconciliation(
        printed=printed,
        applied=counts.get(CountKind.APPLIED.value, 0),
        destroyed=counts.get(CountKind.DESTROYED.value, 0),
        returned=counts.get(CountKind.RETURNED.value, 0),
    )


def print_history(lot: Lot) -> list[LabelPrint | LabelCount]:
    """Prints, reprints and counts of the lot, oldest first."""
    rows: list[LabelPrint | LabelCount] = [*LabelPrint.objects.filter(lot=lot)]
    rows.extend(LabelCount.objects.filter(lot=lot))
    return sorted(rows, key=lambda r: (r.at, 0 if isinstance(r, LabelPrint) else 1, r.pk))


# --- settings (pharmacist) -----------------------------------------------------------------


def set_product_label(
    user: User,
    product: Product,
    *,
    gtin: str = "",
    company_prefix: str = "",
    item_reference: str = "",
    route: str,
    blinded: bool = False,
    blinded_name: str = "",
    reason: str = "",
    request_id: str = "",
) -> ProductLabel:
    """How `product` is coded (GTIN, or the internal code's prefix and item) and labelled."""
    require(user, CONFIGURE)
    existing = ProductLabel.objects.filter(product=product).first()
    if existing is not None and not reason.strip():
        raise Refused("changing label settings needs a reason", field="reason")
    gtin = gtin.strip()
    if gtin:
        try:
            gtin = validate_gtin14(gtin)
        except DomainError as exc:
            raise _refused(exc, "gtin") from None
    if not route.strip():
        raise Refused("the route of administration is printed on every label", field="route")
    is_trial = product.regulatory_status == RegulatoryStatus.INVESTIGATIONAL.value
    if blinded and not is_trial:
        raise Refused("only an investigational product can be blinded", field="blinded")
    if blinded and not blinded_name.strip():
        raise Refused("a blinded product needs the name its label shows", field="blinded_name")
    row = existing or ProductLabel(product=product)
    row.gtin = gtin
    row.company_prefix = company_prefix.strip()
    row.item_reference = item_reference.strip()
    row.route = route.strip()
    row.blinded = blinded
    row.blinded_name = blinded_name.strip() if blinded else ""
    row.updated_at = datetime.now(UTC)
    with audited_write(actor_for(user, request_id), reason=reason.strip()):
        row.save()
        identity.gtin_for(product)  # a bad prefix/item refuses and rolls back
    return row


def set_issuer(
    user: User,
    *,
    name: str,
    address: str = "",
    phone: str = "",
    reason: str = "",
    request_id: str = "",
) -> LabelIssuer:
    """The pharmacy printed on every label."""
    require(user, CONFIGURE)
    if not name.strip():
        raise Refused("the pharmacy's name is printed on every label", field="name")
    row = issuer()
    if row is not None and not reason.strip():
        raise Refused("changing the pharmacy on the labels needs a reason", field="reason")
    row = row or LabelIssuer()
    row.name, row.address, row.phone = name.strip(), address.strip(), phone.strip()
    row.updated_at = datetime.now(UTC)
    with audited_write(actor_for(user, request_id), reason=reason.strip()):
        row.save()
    return row


# --- controlled printing -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Printed:
    record: LabelPrint
    pdf: bytes


def _printable(lot: Lot, today: date) -> None:
    try:
        check_printable(LotStatus(lot.status), lot.expiry_date, today)
    except DomainError as exc:
        error = Conflict if exc.field == "status" else Refused
        raise error(f"lot {lot.lot_number}: {exc.message}", field=exc.field) from None


def _print(
    user: User,
    lot: Lot,
    kind: PrintKind,
    serials: Sequence[int] | None,
    reason: str,
    request_id: str,
    today: date | None,
) -> Printed:
    from rempart.mes.labels.sheet import render_sheet

    require(user, Action.PRINT_LABELS)
    day = today or _today()
    _printable(lot, day)
    good = good_vial_sequences(lot)
    before = printed_sequences(lot)
    try:
        chosen = plan_print(kind, good, before, serials, reason)
    except DomainError as exc:
        raise _refused(exc, "serials") from None
    content = content_for(lot)
    gtin = identity.gtin_for(lot.batch.product)
    identities = [identity.vial_identity(lot, seq, gtin=gtin) for seq in chosen]
    pdf = render_sheet(content, identities, kind=kind, reason=reason.strip())
    actor = actor_for(user, request_id)
    why = reason.strip() or f"labels printed for lot {lot.lot_number}"
    with audited_write(actor, reason=why):
        locked = Lot.objects.select_for_update().get(pk=lot.pk)
        _printable(locked, day)
        if printed_sequences(locked) != before:
            raise Conflict(
                f"labels of lot {lot.lot_number} were printed meanwhile; reload", field="serials"
            )
        record = LabelPrint.objects.create(
            lot=locked,
            kind=kind.value,
            reason=reason.strip(),
            quantity=len(chosen),
            serials=ranges(chosen),
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            actor=actor.printed_name,
            actor_id=actor.user_id,
        )
    return Printed(record, pdf)


def print_labels(
    user: User,
    lot: Lot,
    *,
    serials: Sequence[int] | None = None,
    request_id: str = "",
    today: date | None = None,
) -> Printed:
    """Print the labels of the lot's accepted vials not printed yet (or of `serials`)."""
    return _print(user, lot, PrintKind.PRINT, serials, "", request_id, today)


def reprint_labels(
    user: User,
    lot: Lot,
    *,
    reason: str,
    serials: Sequence[int] | None = None,
    request_id: str = "",
    today: date | None = None,
) -> Printed:
    """Print again labels printed before (all of them, or `serials`); always with a reason."""
    return _print(user, lot, PrintKind.REPRINT, serials, reason, request_id, today)


def record_label_count(
    user: User,
    lot: Lot,
    *,
    kind: str,
    quantity: int,
    reason: str = "",
    request_id: str = "",
) -> LabelCount:
    """Labels applied to vials, destroyed or returned, counted against those printed."""
    require(user, Action.PRINT_LABELS)
    actor = actor_for(user, request_id)
    with audited_write(actor, reason=reason.strip() or f"labels {kind}"):
        locked = Lot.objects.select_for_update().get(pk=lot.pk)
        current = label_reconciliation(locked)
        printed = current.printed if current else 0
        accounted = printed - current.difference if current else 0
        try:
            check_count(kind, quantity, reason, printed=printed, accounted=accounted)
        except DomainError as exc:
            raise _refused(exc, "quantity") from None
        return LabelCount.objects.create(
            lot=locked,
            kind=kind,
            quantity=quantity,
            reason=reason.strip(),
            actor=actor.printed_name,
            actor_id=actor.user_id,
        )
