"""Master batch records: drafting, review and e-signed approval (DOMAIN.md §5.2 rule 3).

Preconditions are checked here, in this order, and each refusal names its field: the role
(matrix in `rempart.domain.roles`), the workflow (transition table in
`rempart.domain.master_record`), the content (the domain computations must accept it), and
for approval the e-signature (password, TOTP, meaning, qualification) by someone other than
the author. The state change, the superseding of the previous version and the signature are
one audited transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction

from rempart.domain import master_record as rules
from rempart.domain.errors import DomainError, InvalidTransition
from rempart.domain.master_record import MasterRecordState
from rempart.domain.qualification import for_approving_master_record
from rempart.domain.roles import Action
from rempart.domain.signatures import Meaning
from rempart.domain.units import MgPerMl, Millilitres
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import audited_write
from rempart.mes.catalog.models import MasterRecord, Product
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.signatures.models import Signature
from rempart.mes.signatures.services import check_signer_may_sign, write_signature

#: The content a draft may set, with the parser of each (forms and the API send text).
CONTENT_FIELDS: dict[str, type] = {
    "batch_size_vials": int,
    "dead_volume_ml": Decimal,
    "line_losses_ml": Decimal,
    "diluent": str,
    "density_g_per_ml": Decimal,
    "fill_weight_alert_pct": Decimal,
    "fill_weight_action_pct": Decimal,
    "ipc_every_vials": int,
    "endotoxin_units": int,
    "retention_units": int,
    "visual_inspection_units": int,
    "assay_units": int,
    "sterility_incubation_days": int,
    "reconciliation_tolerance_vials": int,
    "batch_duration_h": Decimal,
    "envelope_max_batch_vials": int,
    "envelope_max_duration_h": Decimal,
    "envelope_media_fill_date": date,
}


@dataclass(frozen=True, slots=True)
class Computed:
    formula: rules.CompoundingFormula
    limits: rules.FillWeightLimits
    sampling: rules.SamplingPlan


def compute(record: MasterRecord) -> Computed:
    """The formula, IPC limits and sampling plan; `Refused` naming the field when invalid."""
    product = record.product
    try:
        formula = rules.compounding_formula(
            concentration=MgPerMl(product.concentration_mg_per_ml),
            nominal_volume=Millilitres(product.vial_format.nominal_volume_ml),
            fill_volume=Millilitres(product.fill_volume_ml),
            vials=record.batch_size_vials,
            dead_volume=Millilitres(record.dead_volume_ml),
            line_losses=Millilitres(record.line_losses_ml),
            diluent=record.diluent,
        )
        limits = rules.fill_weight_limits(
            fill_volume=Millilitres(product.fill_volume_ml),
            density_g_per_ml=Decimal(record.density_g_per_ml),
            alert_pct=Decimal(record.fill_weight_alert_pct),
            action_pct=Decimal(record.fill_weight_action_pct),
        )
        sampling = rules.sampling_plan(
            batch_size_vials=record.batch_size_vials,
            ipc_every_vials=record.ipc_every_vials,
            endotoxin_units=record.endotoxin_units,
            retention_units=record.retention_units,
        )
        rules.check_envelope(
            batch_size_vials=record.batch_size_vials,
            duration_h=Decimal(record.batch_duration_h),
            max_batch_size_vials=record.envelope_max_batch_vials,
            max_duration_h=Decimal(record.envelope_max_duration_h),
        )
    except DomainError as exc:
        field = {"mL": "dead_volume_ml"}.get(exc.field or "", exc.field)
        raise Refused(exc.message, field=field) from None
    return Computed(formula, limits, sampling)


def parse_content(raw: dict[str, Any]) -> dict[str, Any]:
    """Typed values from form or JSON input; unknown fields and bad numbers are refused."""
    parsed: dict[str, Any] = {}
    for name, value in raw.items():
        kind = CONTENT_FIELDS.get(name)
        if kind is None:
            raise Refused("not a field of a master batch record", field=name)
        try:
            if kind is date:
                parsed[name] = value if isinstance(value, date) else date.fromisoformat(str(value))
            elif kind is int:
                text = str(value).strip()
                if isinstance(value, bool) or not text.isdigit():
                    raise Refused(f"a whole number is expected, got {value!r}", field=name)
                parsed[name] = int(text)
            elif kind is Decimal:
                parsed[name] = Decimal(str(value).strip())
                if not parsed[name].is_finite() or parsed[name] < 0:
                    raise Refused("must be a positive number", field=name)
            else:
                parsed[name] = str(value).strip()
        except (ValueError, InvalidOperation):
            raise Refused(f"not a valid {kind.__name__}: {value!r}", field=name) from None
    return parsed


def _fresh(record: MasterRecord) -> MasterRecord:
    """Re-read under a row lock: the state seen by the user may be stale."""
    return (
        MasterRecord.objects.select_for_update()
        .select_related("product__vial_format")
        .get(pk=record.pk)
    )


def _defaulted(name: str) -> bool:
    """Fields added after version 1 of the format have a default a draft may keep."""
    field = MasterRecord._meta.get_field(name)
    return isinstance(field, models.Field) and field.has_default()


def create_draft(
    user: User, product: Product, content: dict[str, Any], request_id: str = ""
) -> MasterRecord:
    """Version 1 of a product's record, or the next version copied from the latest one."""
    require(user, Action.DRAFT_MASTER_RECORD)
    values = parse_content(content)
    latest = MasterRecord.objects.filter(product=product).order_by("-version").first()
    base = {name: getattr(latest, name) for name in CONTENT_FIELDS} if latest else {}
    missing = [n for n in CONTENT_FIELDS if n not in base and n not in values and not _defaulted(n)]
    if missing:
        raise Refused("this field is required", field=missing[0])
    record = MasterRecord(
        product=product,
        version=(latest.version + 1) if latest else 1,
        state=MasterRecordState.DRAFT.value,
        author=user,
        **{**base, **values},
    )
    compute(record)
    with audited_write(actor_for(user, request_id)):
        if MasterRecord.objects.filter(product=product, state=MasterRecordState.DRAFT).exists():
            raise Conflict("this product already has a draft: edit it", field="product")
        record.save()
    return record


def update_draft(
    user: User, record: MasterRecord, content: dict[str, Any], reason: str, request_id: str = ""
) -> MasterRecord:
    require(user, Action.DRAFT_MASTER_RECORD)
    values = parse_content(content)
    if not reason.strip():
        raise Refused("say why the draft changes", field="reason")
    with audited_write(actor_for(user, request_id), reason=reason):
        current = _fresh(record)
        if current.state not in rules.EDITABLE_STATES:
            raise Conflict(f"a {current.state} version cannot change: create a new version")
        for name, value in values.items():
            setattr(current, name, value)
        compute(current)
        current.save()
    return current


def _move(
    user: User, record: MasterRecord, target: MasterRecordState, reason: str, rid: str
) -> MasterRecord:
    with audited_write(actor_for(user, rid), reason=reason):
        current = _fresh(record)
        try:
            rules.transition(current.state, target)
        except InvalidTransition as exc:
            raise Conflict(exc.message, field="state") from None
        current.state = target.value
        current.save(update_fields=["state"])
    return current


def submit_for_review(user: User, record: MasterRecord, request_id: str = "") -> MasterRecord:
    require(user, Action.SUBMIT_MASTER_RECORD)
    compute(record)
    return _move(user, record, MasterRecordState.IN_REVIEW, "submitted for review", request_id)


def send_back(user: User, record: MasterRecord, reason: str, request_id: str = "") -> MasterRecord:
    require(user, Action.APPROVE_MASTER_RECORD)
    if not reason.strip():
        raise Refused("say what must change", field="reason")
    return _move(user, record, MasterRecordState.DRAFT, reason, request_id)


def approve(
    user: User,
    record: MasterRecord,
    *,
    password: str,
    totp_code: str,
    meaning: str = Meaning.APPROVED.value,
    ip: str | None = None,
    request_id: str = "",
) -> Signature:
    """E-signed approval by someone other than the author; supersedes the approved version."""
    require(user, Action.APPROVE_MASTER_RECORD)
    if meaning != Meaning.APPROVED.value:
        raise Refused(
            f"a master record is approved with the meaning 'approved', not {meaning!r}",
            field="meaning",
        )
    if record.author_id == user.pk:
        raise NotPermitted("the author of a version cannot approve it", field="signer")
    chosen = check_signer_may_sign(
        user,
        meaning=meaning,
        password=password,
        totp_code=totp_code,
        requirements=for_approving_master_record(record.product.code),
        ip=ip,
    )
    with transaction.atomic():
        current = _fresh(record)
        try:
            rules.transition(current.state, MasterRecordState.APPROVED)
        except InvalidTransition as exc:
            raise Conflict(exc.message, field="state") from None
        previous = MasterRecord.objects.select_for_update().filter(
            product_id=current.product_id, state=MasterRecordState.APPROVED
        )
        reason = f"version {current.version} approved"
        with audited_write(actor_for(user, request_id), reason=reason):
            for old in previous:
                rules.transition(old.state, MasterRecordState.SUPERSEDED)
                old.state = MasterRecordState.SUPERSEDED.value
                old.save(update_fields=["state"])
            current.state = MasterRecordState.APPROVED.value
            current.save(update_fields=["state"])
            return write_signature(user, current, chosen, request_id=request_id)


def approved_version(product: Product) -> MasterRecord | None:
    return MasterRecord.objects.filter(product=product, state=MasterRecordState.APPROVED).first()
