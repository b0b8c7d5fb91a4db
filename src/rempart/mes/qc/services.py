"""QC services: specifications (versioned), sample tracking, results (entered or imported
from CSV) judged against the current specification, and viable EM results.

Every write checks `Action.RECORD_QC_RESULT` and runs inside `audited_write()`. An
out-of-specification result opens a deviation on its batch; a viable EM action excursion
(grade A: any growth) opens one on every batch that ran on the line at the sampled time.
When the last tested sample of a quarantined batch has its result, the batch moves
QUARANTINE → UNDER_REVIEW (documented in docs/release.md).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Max, Min

from rempart.domain.batch import BatchState
from rempart.domain.environment import Grade, Level, ViableSample, viable_level
from rempart.domain.errors import DomainError
from rempart.domain.qc import TESTED_KINDS, Limits, SampleKind, Verdict, judge
from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import audited_write
from rempart.mes.batches.models import Batch
from rempart.mes.batches.services import move
from rempart.mes.catalog.models import Product
from rempart.mes.core.errors import Conflict, Refused
from rempart.mes.machine.models import MachineEvent
from rempart.mes.qc.models import (
    EM_SAMPLE_TYPES,
    QcResult,
    QcSample,
    Specification,
    ViableEmBatch,
    ViableEmResult,
)
from rempart.mes.qc.specs import current_specification
from rempart.mes.quality.services import record_deviation

#: The deviation source of an out-of-specification result (origin `qc-oos:<sample id>`).
OOS_SOURCE = "qc_oos"

_EM_TYPES = {
    "settle_plate": ViableSample.SETTLE_PLATE,
    "contact_plate": ViableSample.CONTACT_PLATE,
    "glove_print": ViableSample.GLOVE_PRINT,
    "air": ViableSample.AIR,
}


def _decimal(raw: str | None, field: str) -> Decimal | None:
    if raw is None or not str(raw).strip():
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        raise Refused(f"{raw!r} is not a number", field=field) from None
    if not value.is_finite():
        raise Refused(f"{raw!r} is not a number", field=field)
    return value


def create_specification(
    user: User,
    product: Product,
    *,
    test: str,
    method: str,
    unit: str = "",
    lower: str | None = None,
    upper: str | None = None,
    expected: str = "",
    lead_time_days: int = 0,
    request_id: str = "",
) -> Specification:
    """A new version of the product's specification for `test`; it supersedes the previous
    one for results entered from now on (results already judged keep their version)."""
    require(user, Action.RECORD_QC_RESULT)
    try:
        kind = SampleKind(test)
    except ValueError:
        names = ", ".join(k.value for k in TESTED_KINDS)
        raise Refused(f"unknown test {test!r}; one of {names}", field="test") from None
    if kind not in TESTED_KINDS:
        raise Refused("retention samples are kept, not tested", field="test")
    if not method.strip():
        raise Refused("name the analytical method", field="method")
    if lead_time_days < 0:
        raise Refused("a lead time cannot be negative", field="lead_time_days")
    low, high = _decimal(lower, "lower"), _decimal(upper, "upper")
    try:
        Limits(low, high, expected.strip())
    except DomainError as exc:
        raise Refused(exc.message, field=exc.field) from None
    with audited_write(actor_for(user, request_id), reason="QC specification version"):
        last = Specification.objects.filter(product=product, test=kind.value).aggregate(
            v=Max("version")
        )["v"]
        return Specification.objects.create(
            product=product,
            test=kind.value,
            version=(last or 0) + 1,
            method=method.strip(),
            unit=unit.strip(),
            lower_limit=low,
            upper_limit=high,
            expected=expected.strip(),
            lead_time_days=lead_time_days,
            created_by=user.printed_name,
        )


def start_test(user: User, sample: QcSample, request_id: str = "") -> QcSample:
    """The laboratory has the sample on test: taken → in test."""
    require(user, Action.RECORD_QC_RESULT)
    with audited_write(actor_for(user, request_id), reason="QC sample put on test"):
        updated = QcSample.objects.filter(pk=sample.pk, status="taken").update(
            status="in_test", in_test_at=datetime.now(UTC)
        )
        if updated != 1:
            raise Conflict(f"{sample.sample_id} is not waiting to be tested", field="sample")
    sample.refresh_from_db()
    return sample


def incubation_problem(sample: QcSample) -> str | None:
    """Why the sample cannot have its result yet (its incubation runs), or None."""
    if not sample.incubation_days:
        return None
    ready = sample.taken_at.timestamp() + sample.incubation_days * 86400
    if datetime.now(UTC).timestamp() >= ready:
        return None
    end = datetime.fromtimestamp(ready, ZoneInfo(settings.TIME_ZONE))
    return f"incubation of {sample.sample_id} ends {end:%Y-%m-%d %H:%M %Z}"


def _result(user: User, sample: QcSample, value: str, comment: str) -> QcResult:
    """Judge and store one result (inside the caller's audited transaction)."""
    locked = QcSample.objects.select_for_update().select_related("batch__product").get(pk=sample.pk)
    if not locked.tested:
        raise Refused(f"{locked.sample_id} is a retention sample: it is not tested", field="sample")
    if QcResult.objects.filter(sample=locked).exists():
        raise Conflict(f"{locked.sample_id} already has its result", field="sample")
    batch = locked.batch
    spec = current_specification(batch.product, locked.kind)
    if spec is None:
        raise Refused(
            f"no specification for {locked.kind} of {batch.product.code}", field="specification"
        )
    waiting = incubation_problem(locked)
    if waiting:
        raise Refused(waiting, field="value")
    try:
        verdict, number = judge(spec.limits, value)
    except DomainError as exc:
        raise Refused(exc.message, field=exc.field or "value") from None
    deviation_number = ""
    if verdict is Verdict.FAILED:
        deviation = record_deviation(
            actor_for(user),
            title=f"Out of specification: {locked.kind} of {batch.batch_number}",
            description=(
                f"sample {locked.sample_id}: {value.strip()} {spec.unit} against "
                f"{spec.limits_text} (specification v{spec.version}, {spec.method})"
            ),
            source=OOS_SOURCE,
            batch_numbers=[batch.batch_number],
            classification="major",
            origin=f"qc-oos:{locked.sample_id}",
        )
        deviation_number = deviation.number
    result = QcResult.objects.create(
        sample=locked,
        specification=spec,
        value=value.strip(),
        numeric_value=number,
        status=verdict.value,
        analyst=user,
        analyst_name=user.printed_name,
        comment=comment.strip(),
        deviation_number=deviation_number,
    )
    QcSample.objects.filter(pk=locked.pk).update(status="resulted")
    return result


def _maybe_under_review(actor_user: User, batch: Batch, request_id: str) -> None:
    batch.refresh_from_db()
    if batch.state != BatchState.QUARANTINE.value:
        return
    waiting = QcSample.objects.filter(batch=batch, result__isnull=True).exclude(
        kind=SampleKind.RETENTION.value
    )
    if QcSample.objects.filter(batch=batch).exists() and not waiting.exists():
        move(
            actor_for(actor_user, request_id),
            batch,
            BatchState.UNDER_REVIEW,
            reason="all QC results are in",
        )


def enter_result(
    user: User, sample: QcSample, value: str, *, comment: str = "", request_id: str = ""
) -> QcResult:
    """Enter a sample's result; an out-of-specification result opens a deviation, and the
    batch goes under review when its last result is in."""
    require(user, Action.RECORD_QC_RESULT)
    with audited_write(actor_for(user, request_id), reason="QC result entered"):
        result = _result(user, sample, value, comment)
        _maybe_under_review(user, sample.batch, request_id)
    return result


@dataclass(frozen=True, slots=True)
class ImportReport:
    results: list[QcResult]

    @property
    def count(self) -> int:
        return len(self.results)


CSV_COLUMNS = ("sample_id", "value")


def import_results_csv(user: User, text: str, request_id: str = "") -> ImportReport:
    """Results from a CSV with columns `sample_id,value[,comment]` (`;` also accepted).

    Every line is checked first; any bad line refuses the whole file, naming every bad
    line by its number (`line 3: ...`); nothing is written then.
    """
    require(user, Action.RECORD_QC_RESULT)
    if not text.strip():
        raise Refused("the file is empty", field="file")
    if "\x00" in text:  # PostgreSQL refuses it in any query: name the line
        line = "line " + str(text.count("\n", 0, text.index("\x00")) + 1)
        raise Refused(f"{line}: NUL characters are not accepted", field=line)
    dialect = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=dialect)
    try:
        return _import_rows(user, reader, request_id)
    except csv.Error as exc:  # e.g. a field over the csv module's 131,072 characters
        line = f"line {reader.reader.line_num}"  # the DictReader counts only whole rows
        raise Refused(f"{line}: not readable as CSV ({exc})", field=line) from None


def _import_rows(user: User, reader: csv.DictReader[str], request_id: str) -> ImportReport:
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise Refused(f"line 1: missing column(s) {', '.join(missing)}", field="line 1")
    rows: list[tuple[int, QcSample, str, str]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        sid, value = row.get("sample_id", ""), row.get("value", "")
        sample = QcSample.objects.select_related("batch__product").filter(sample_id=sid).first()
        if sample is None:
            problems.append(f"line {number}: no sample {sid!r}")
        elif sid in seen:
            problems.append(f"line {number}: {sid} appears twice in the file")
        elif not sample.tested:
            problems.append(f"line {number}: {sid} is a retention sample")
        elif QcResult.objects.filter(sample=sample).exists():
            problems.append(f"line {number}: {sid} already has its result")
        elif incubation_problem(sample):
            problems.append(f"line {number}: {incubation_problem(sample)}")
        else:
            spec = current_specification(sample.batch.product, sample.kind)
            if spec is None:
                problems.append(f"line {number}: no specification for {sample.kind}")
            else:
                try:
                    judge(spec.limits, value)
                except DomainError as exc:
                    problems.append(f"line {number}: {exc.message}")
                else:
                    rows.append((number, sample, value, row.get("comment", "")))
        seen.add(sid)
    if problems:
        first = problems[0].split(":", 1)[0]
        raise Refused("; ".join(problems), field=first)
    if not rows:
        raise Refused("the file has no result line", field="file")
    results = []
    with audited_write(actor_for(user, request_id), reason="QC results imported from CSV"):
        for number, sample, value, comment in rows:
            try:
                results.append(_result(user, sample, value, comment))
            except Refused as exc:
                raise Refused(f"line {number}: {exc.message}", field=f"line {number}") from None
        for batch_id in sorted({s.batch_id for _, s, _, _ in rows}):
            _maybe_under_review(user, Batch.objects.get(pk=batch_id), request_id)
    return ImportReport(results)


def batches_running_at(line_id: str, moment: datetime) -> list[str]:
    """Batches whose journal window on the line (first to last entry) covers `moment`."""
    numbers = (
        MachineEvent.objects.filter(line_id=line_id, batch_number__isnull=False)
        .exclude(batch_number="")
        .values("batch_number")
        .annotate(first=Min("timestamp"), last=Max("timestamp"))
        .filter(first__lte=moment, last__gte=moment)
        .values_list("batch_number", flat=True)
    )
    return sorted(str(n) for n in numbers)


def _aware(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None:
        raise Refused("give the time with its zone", field=field)
    return moment.astimezone(UTC)


def record_viable_em(
    user: User,
    *,
    line_id: str,
    location: str,
    grade: str,
    sample_type: str,
    cfu: int,
    sampled_at: datetime,
    read_at: datetime,
    request_id: str = "",
) -> ViableEmResult:
    """A viable EM plate read: attached to every batch running at `sampled_at`; an action
    excursion (grade A: any growth, EU GMP Annex 1 Table 6) opens one deviation on them."""
    require(user, Action.RECORD_QC_RESULT)
    if not location.strip():
        raise Refused("name the sampling location", field="location")
    if sample_type not in EM_SAMPLE_TYPES:
        raise Refused(f"sample type is one of {', '.join(EM_SAMPLE_TYPES)}", field="sample_type")
    try:
        chosen = Grade(grade.strip().upper())
    except ValueError:
        raise Refused("grade is A, B, C or D", field="grade") from None
    try:
        level = viable_level(chosen, _EM_TYPES[sample_type], cfu)
    except DomainError as exc:
        raise Refused(exc.message, field=exc.field) from None
    sampled, read = _aware(sampled_at, "sampled_at"), _aware(read_at, "read_at")
    if read < sampled:
        raise Refused("a plate is read after it was exposed", field="read_at")
    batches = batches_running_at(line_id, sampled)
    with audited_write(actor_for(user, request_id), reason="viable EM result entered"):
        deviation_number = ""
        if level is Level.ACTION and batches:
            deviation_number = record_deviation(
                actor_for(user, request_id),
                title=f"Viable EM action excursion at {location.strip()} (grade {grade.upper()})",
                description=(
                    f"{cfu} CFU on {sample_type.replace('_', ' ')} sampled "
                    f"{sampled.isoformat()}, read {read.isoformat()}"
                ),
                source="em_excursion",
                batch_numbers=batches,
                classification="major",
                origin=f"viable-em:{line_id}:{sampled:%Y%m%dT%H%M%S}:{sample_type}:{location.strip()}"[
                    :100
                ],
            ).number
        result = ViableEmResult.objects.create(
            line_id=line_id,
            location=location.strip(),
            grade=grade.strip().upper(),
            sample_type=sample_type,
            cfu=cfu,
            sampled_at=sampled,
            read_at=read,
            level=level.value,
            entered_by=user.printed_name,
            deviation_number=deviation_number,
        )
        ViableEmBatch.objects.bulk_create(
            ViableEmBatch(result=result, batch_number=n) for n in batches
        )
    return result
