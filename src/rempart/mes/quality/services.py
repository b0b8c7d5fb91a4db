"""Deviation services: open (from a person or from the line's journal) and close (QA, signed).

Preconditions are stated per function; every write runs inside `audited_write()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from rempart.domain.roles import Action, Role
from rempart.domain.signatures import Meaning
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.core.columns import fitting
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.quality.models import CLASSIFICATIONS, SOURCES, Deviation, DeviationBatch
from rempart.mes.signatures.services import check_signer_may_sign, write_signature


def record_deviation(
    actor: Actor,
    *,
    title: str,
    description: str,
    source: str,
    batch_numbers: Iterable[str],
    classification: str = "major",
    origin: str = "",
) -> Deviation:
    """Open a deviation linked to `batch_numbers` (inside the caller's transaction if any).

    Idempotent on (`source`, `origin`) when an origin is given: a replayed journal entry
    never opens a second deviation; the existing one gains any new batch links.
    """
    if source not in SOURCES:
        raise Refused(f"unknown source {source!r}; one of {', '.join(SOURCES)}", field="source")
    if classification not in CLASSIFICATIONS:
        raise Refused(
            f"unknown classification {classification!r}; one of {', '.join(CLASSIFICATIONS)}",
            field="classification",
        )
    if not title.strip():
        raise Refused("a deviation needs a title", field="title")
    with audited_write(actor, reason="deviation opened"):
        existing = (
            Deviation.objects.filter(source=source, origin=origin).first() if origin else None
        )
        deviation = existing or Deviation.objects.create(
            title=fitting(Deviation, "title", title.strip(), field="title"),
            description=description.strip(),
            source=source,
            classification=classification,
            opened_by=actor.printed_name,
            origin=origin,
        )
        linked = set(deviation.batches.values_list("batch_number", flat=True))
        DeviationBatch.objects.bulk_create(
            DeviationBatch(deviation=deviation, batch_number=number)
            for number in sorted(set(batch_numbers) - linked)
        )
    return deviation


def open_deviation(
    user: User,
    *,
    title: str,
    description: str,
    classification: str,
    batch_numbers: Iterable[str],
    request_id: str = "",
) -> Deviation:
    """A person opens a deviation by hand (source "manual") on the batches it concerns; each
    batch number must be a batch ordered here. Production staff and QA may."""
    require(user, Action.VIEW_MASTER_RECORDS)
    numbers = sorted({n.strip() for n in batch_numbers if n.strip()})
    if not numbers:
        raise Refused("name at least one batch concerned", field="batch_numbers")
    known = set(
        Batch.objects.filter(batch_number__in=numbers).values_list("batch_number", flat=True)
    )
    unknown = [n for n in numbers if n not in known]
    if unknown:
        raise Refused(f"no batch {', '.join(unknown)}", field="batch_numbers")
    if not description.strip():
        raise Refused("describe what happened", field="description")
    if len(title.strip()) > 200:
        raise Refused("a title has at most 200 characters", field="title")
    return record_deviation(
        actor_for(user, request_id),
        title=title,
        description=description,
        source="manual",
        batch_numbers=numbers,
        classification=classification,
    )


def close_deviation(
    qa: User,
    deviation: Deviation,
    *,
    investigation: str,
    capa_reference: str,
    password: str,
    totp_code: str,
    request_id: str = "",
) -> Deviation:
    """A QA reviewer closes an open deviation with its investigation (impact assessment)
    and CAPA reference, signing with the meaning "approved"."""
    if qa.role != Role.QA_REVIEWER.value:
        raise NotPermitted("only a QA reviewer closes a deviation", field="user")
    if not investigation.strip():
        raise Refused("state the investigation and impact assessment", field="investigation")
    check_signer_may_sign(qa, meaning=Meaning.APPROVED, password=password, totp_code=totp_code)
    with audited_write(actor_for(qa, request_id), reason="deviation closed by QA"):
        locked = Deviation.objects.select_for_update().get(pk=deviation.pk)
        if locked.status != "open":
            raise Conflict(f"{locked.number} is already {locked.status}", field="status")
        locked.investigation = investigation.strip()
        locked.capa_reference = capa_reference.strip()
        locked.status = "closed"
        locked.closed_at = datetime.now(UTC)
        locked.save()
        write_signature(qa, locked, Meaning.APPROVED, comment="deviation closure")
    return locked


def open_deviations_for(batch_number: str) -> list[Deviation]:
    """Open deviations linked to a batch: each one blocks its release."""
    return list(
        Deviation.objects.filter(status="open", batches__batch_number=batch_number).distinct()
    )
