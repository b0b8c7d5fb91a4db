"""Site EM alert limits (versioned, approved by e-signature) and the line's media fills.

- `propose_limit_set`: a QA reviewer or pharmacist proposes site alert limits for grade A
  particles, strictly below the Annex 1 action limits (`rempart.domain.environment`); a
  limit at or above them is refused naming the field.
- `approve_limit_set`: another QA reviewer or pharmacist approves it by e-signature (meaning
  "approved"); only approved sets apply, each from its `effective_from`.
- `record_media_fill`: what the line's last media fill covered (interventions, batch size,
  duration); an intervention it did not cover opens a deviation at ingestion.

Both use the permission of approving master records (pharmacist, QA reviewer).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rempart.domain.environment import ParticleLimitSet as Limits
from rempart.domain.environment import annex1_grade_a_limits
from rempart.domain.errors import DomainError
from rempart.domain.interventions import (
    MediaFillCoverage,
    check_media_fill,
    parse_covered,
)
from rempart.domain.roles import Action
from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import audited_write
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.machine.models import MediaFill, ParticleLimitSet
from rempart.mes.signatures.models import Signature
from rempart.mes.signatures.services import check_signer_may_sign, write_signature

ANNEX1 = annex1_grade_a_limits()


#: The largest whole number a record's integer columns hold (PostgreSQL `integer`).
_INT_MAX = 2_147_483_647


def _int(values: dict[str, Any], name: str, unit: str = "particles per m³") -> int:
    raw = values.get(name)
    try:
        number = int(str(raw).strip())
    except (TypeError, ValueError):
        raise Refused(f"{name} must be a whole number of {unit}", field=name) from None
    if number < 0:
        raise Refused(f"{name} cannot be negative", field=name)
    if number > _INT_MAX:
        raise Refused(f"{name} must be at most {_INT_MAX:,} {unit}", field=name)
    return number


def _when(raw: Any, name: str) -> datetime:
    if isinstance(raw, datetime):
        when = raw
    else:
        try:
            when = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
        except ValueError:
            raise Refused(f"{name} must be an ISO 8601 date and time", field=name) from None
    if when.tzinfo is None:
        raise Refused(f"{name} needs its time zone (e.g. +01:00 or Z)", field=name)
    return when.astimezone(UTC)


def check_alert_limits(alert_0_5um: int, alert_5um: int) -> Limits:
    """The set the domain would apply; refuses alert limits at or above the action limits."""
    for name, alert, action in (
        ("alert_0_5um", alert_0_5um, ANNEX1.action_0_5um),
        ("alert_5um", alert_5um, ANNEX1.action_5um),
    ):
        if alert >= action:
            raise Refused(
                f"the alert limit {alert}/m³ must be below the Annex 1 grade A action limit "
                f"{action}/m³",
                field=name,
            )
    try:
        return Limits(
            version="check",
            grade=ANNEX1.grade,
            occupancy=ANNEX1.occupancy,
            alert_0_5um=alert_0_5um,
            action_0_5um=ANNEX1.action_0_5um,
            alert_5um=alert_5um,
            action_5um=ANNEX1.action_5um,
        )
    except DomainError as exc:
        raise Refused(exc.message, field=exc.field) from None


def propose_limit_set(user: User, values: dict[str, Any], request_id: str = "") -> ParticleLimitSet:
    require(user, Action.APPROVE_MASTER_RECORD)
    version = str(values.get("version", "")).strip()
    if not version or len(version) > 60:
        raise Refused("name the version (1 to 60 characters)", field="version")
    alert_0_5 = _int(values, "alert_0_5um")
    alert_5 = _int(values, "alert_5um")
    check_alert_limits(alert_0_5, alert_5)
    effective = _when(values.get("effective_from"), "effective_from")
    if ParticleLimitSet.objects.filter(version=version).exists():
        raise Conflict(f"version {version} already exists", field="version")
    with audited_write(actor_for(user, request_id), reason=f"limit set {version} proposed"):
        return ParticleLimitSet.objects.create(
            version=version,
            alert_0_5um=alert_0_5,
            alert_5um=alert_5,
            action_0_5um=ANNEX1.action_0_5um,
            action_5um=ANNEX1.action_5um,
            effective_from=effective,
            rationale=str(values.get("rationale", "")).strip(),
            proposed_by=user.printed_name,
        )


def approve_limit_set(
    user: User,
    limit_set: ParticleLimitSet,
    *,
    password: str,
    totp_code: str,
    meaning: str = "approved",
    request_id: str = "",
    ip: str | None = None,
) -> Signature:
    """E-signed approval by a QA reviewer or pharmacist other than the proposer."""
    require(user, Action.APPROVE_MASTER_RECORD)
    if meaning != Meaning.APPROVED.value:
        raise Refused("a limit set is approved with the meaning 'approved'", field="meaning")
    if limit_set.proposed_by == user.printed_name:
        raise NotPermitted("the proposer of a limit set cannot approve it", field="signer")
    if limit_set.state != "proposed":
        raise Conflict(f"version {limit_set.version} is already approved", field="version")
    chosen = check_signer_may_sign(
        user, meaning=meaning, password=password, totp_code=totp_code, ip=ip
    )
    actor = actor_for(user, request_id)
    with audited_write(actor, reason=f"limit set {limit_set.version} approved"):
        updated = ParticleLimitSet.objects.filter(pk=limit_set.pk, state="proposed").update(
            state="approved", approved_by=user.printed_name, approved_at=datetime.now(UTC)
        )
        if updated != 1:
            raise Conflict(f"version {limit_set.version} is already approved", field="version")
        limit_set.refresh_from_db()
        return write_signature(user, limit_set, chosen, request_id=request_id)


def approved_limit_sets() -> list[tuple[datetime, Limits]]:
    """Approved sets as domain limits, by `effective_from` (the last one started applies)."""
    rows = ParticleLimitSet.objects.filter(state="approved").order_by("effective_from", "pk")
    return [
        (
            row.effective_from,
            Limits(
                version=row.version,
                grade=ANNEX1.grade,
                occupancy=ANNEX1.occupancy,
                alert_0_5um=row.alert_0_5um,
                action_0_5um=row.action_0_5um,
                alert_5um=row.alert_5um,
                action_5um=row.action_5um,
            ),
        )
        for row in rows
    ]


def limits_in_force(when: datetime | None = None) -> Limits:
    """The approved set in force at `when` (now by default), else the Annex 1 default."""
    at = when or datetime.now(UTC)
    in_force = [limits for since, limits in approved_limit_sets() if since <= at]
    return in_force[-1] if in_force else ANNEX1


def record_media_fill(user: User, values: dict[str, Any], request_id: str = "") -> MediaFill:
    require(user, Action.APPROVE_MASTER_RECORD)
    line_id = str(values.get("line_id", "LINE-1")).strip()
    if not line_id:
        raise Refused("name the line", field="line_id")
    try:
        performed_on = date.fromisoformat(str(values.get("performed_on", "")).strip())
    except ValueError:
        raise Refused("performed_on must be a date (YYYY-MM-DD)", field="performed_on") from None
    max_vials = _int(values, "max_batch_vials", "vials")
    try:
        max_hours = Decimal(str(values.get("max_duration_h", "")).strip())
    except InvalidOperation:
        raise Refused("max_duration_h must be a number of hours", field="max_duration_h") from None
    raw = values.get("interventions", "")
    try:
        covered = parse_covered(raw if isinstance(raw, str | list) else str(raw))
        check_media_fill(performed_on, datetime.now(UTC).date(), max_vials, max_hours)
    except DomainError as exc:
        raise Refused(exc.message, field=exc.field) from None
    with audited_write(actor_for(user, request_id), reason="media fill recorded"):
        return MediaFill.objects.create(
            line_id=line_id,
            performed_on=performed_on,
            interventions="\n".join(covered),
            max_batch_vials=max_vials,
            max_duration_h=max_hours,
            recorded_by=user.printed_name,
        )


def media_fill_coverages(line_id: str) -> list[MediaFillCoverage]:
    return [
        MediaFillCoverage(
            line_id=f.line_id,
            performed_on=f.performed_on,
            covered=frozenset(f.covered),
            max_batch_vials=f.max_batch_vials,
            max_duration_h=f.max_duration_h,
        )
        for f in MediaFill.objects.filter(line_id=line_id)
    ]
