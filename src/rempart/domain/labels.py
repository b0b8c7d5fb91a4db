"""What a vial label must show, and the rules of controlled label printing.

Label content (DOMAIN.md §5.1, one rule set per status): hospital, special hospital and
magistral preparations carry the French preparation mentions (Décret 2012-1201: name, active
substance and concentration, volume, route, storage, lot, expiry, the pharmacy's name and
address, and the status); investigational products carry the clinical-trial content of
Regulation (EU) 536/2014 Annex VI (trial code, sponsor, "usage exclusivement réservé aux essais
cliniques", subject and visit to fill in). A blinded investigational label names neither the
molecule nor the product nor its strength: only its blinded name.

Printing (DOMAIN.md §5.4): one label per accepted vial, each print and reprint recorded; a
reprint only of serials printed before, always with a reason; printed = applied + destroyed +
returned is checked at release (`rempart.domain.release.LabelReconciliation`).

Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from rempart.domain.errors import InvalidValue
from rempart.domain.lot import LotStatus, is_expired
from rempart.domain.products import RegulatoryStatus, Storage

#: The mention every clinical-trial label carries (CTR Annex VI, in French).
TRIAL_ONLY = "Usage exclusivement réservé aux essais cliniques"

#: The status mention of each non-trial preparation.
STATUS_MENTION: dict[RegulatoryStatus, str] = {
    RegulatoryStatus.HOSPITAL_PREPARATION: "Préparation hospitalière",
    RegulatoryStatus.SPECIAL_HOSPITAL_PREPARATION: "Préparation hospitalière spéciale",
    RegulatoryStatus.MAGISTRAL: "Préparation magistrale",
    RegulatoryStatus.INVESTIGATIONAL: "Médicament expérimental",
}

#: Storage conditions as printed in French.
STORAGE_TEXT: dict[Storage, str] = {
    Storage.REFRIGERATED: "À conserver au réfrigérateur (entre 2 °C et 8 °C)",
    Storage.ROOM_TEMPERATURE: "À conserver entre 15 °C et 25 °C",
    Storage.BELOW_25: "À conserver à une température ne dépassant pas 25 °C",
    Storage.FROZEN: "À conserver au congélateur (à -15 °C ou moins)",
}


def french_number(value: Decimal) -> str:
    """10 → "10", 10.50 → "10,5": no trailing zeros, a decimal comma."""
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


def french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True, slots=True)
class LabelFacts:
    """Everything a vial label is made from (gathered by the MES from product, lot, settings)."""

    product_name: str
    molecule: str
    concentration_mg_per_ml: Decimal
    fill_volume_ml: Decimal
    route: str
    storage: Storage
    regulatory_status: RegulatoryStatus
    lot: str
    expiry: date
    issuer_name: str
    issuer_address: str = ""
    issuer_phone: str = ""
    trial_reference: str = ""
    blinded: bool = False
    blinded_name: str = ""


@dataclass(frozen=True, slots=True)
class LabelLine:
    """One printed line: a stable key (for tests and layout), its French caption and value."""

    key: str
    caption: str
    value: str

    @property
    def text(self) -> str:
        return f"{self.caption} : {self.value}" if self.caption else self.value


@dataclass(frozen=True, slots=True)
class LabelContent:
    """The human-readable part of a label, in print order."""

    title: str
    lines: tuple[LabelLine, ...]
    clinical_trial: bool

    def value(self, key: str) -> str | None:
        return next((line.value for line in self.lines if line.key == key), None)

    @property
    def texts(self) -> tuple[str, ...]:
        return (self.title, *(line.text for line in self.lines))


def _required(value: str, field: str, what: str) -> str:
    if not value.strip():
        raise InvalidValue(f"the label needs {what}", field=field)
    return value.strip()


def label_content(facts: LabelFacts) -> LabelContent:
    """The text a vial label must show, or `InvalidValue` naming the first missing fact."""
    is_trial = facts.regulatory_status is RegulatoryStatus.INVESTIGATIONAL
    route = _required(facts.route, "route", "the route of administration")
    issuer = _required(facts.issuer_name, "issuer", "the pharmacy's name")
    _required(facts.lot, "lot", "the lot number")
    if facts.concentration_mg_per_ml <= 0 or facts.fill_volume_ml <= 0:
        raise InvalidValue("the concentration and volume must be positive", field="product")
    if facts.blinded and not is_trial:
        raise InvalidValue("only an investigational product can be blinded", field="blinded")
    strength = f"{french_number(facts.concentration_mg_per_ml)} mg/mL"
    volume = f"{french_number(facts.fill_volume_ml)} mL"
    lines: list[LabelLine] = []
    if is_trial:
        trial = _required(facts.trial_reference, "trial_reference", "the trial code")
        lines.append(LabelLine("trial_only", "", TRIAL_ONLY))
        lines.append(LabelLine("trial", "Essai clinique", trial))
    if facts.blinded:
        title = _required(facts.blinded_name, "blinded_name", "the blinded product name")
        lines.append(LabelLine("volume", "Volume", volume))
    else:
        title = _required(facts.product_name, "name", "the product name")
        molecule = _required(facts.molecule, "molecule", "the active substance")
        lines.append(LabelLine("substance", "Substance active", molecule))
        lines.append(LabelLine("concentration", "Concentration", strength))
        lines.append(LabelLine("volume", "Volume", volume))
        dose = facts.concentration_mg_per_ml * facts.fill_volume_ml
        lines.append(LabelLine("dose", "Quantité par flacon", f"{french_number(dose)} mg"))
    lines.append(LabelLine("route", "Voie", route))
    lines.append(LabelLine("storage", "", STORAGE_TEXT[facts.storage]))
    lines.append(LabelLine("lot", "Lot", facts.lot))
    lines.append(LabelLine("expiry", "Péremption", french_date(facts.expiry)))
    if is_trial:
        lines.append(LabelLine("subject", "N° patient", "________  Visite : ________"))
    elif facts.regulatory_status is RegulatoryStatus.MAGISTRAL:
        lines.append(LabelLine("patient", "Patient", "________________"))
    lines.append(LabelLine("status", "", STATUS_MENTION[facts.regulatory_status]))
    caption = "Promoteur" if is_trial else ""
    issuer_text = ", ".join(
        part for part in (issuer, facts.issuer_address.strip(), facts.issuer_phone.strip()) if part
    )
    lines.append(LabelLine("issuer", caption, issuer_text))
    return LabelContent(title, tuple(lines), is_trial)


# --- controlled printing -------------------------------------------------------------------


class PrintKind(StrEnum):
    PRINT = "print"
    REPRINT = "reprint"


def check_printable(status: LotStatus, expiry: date | None, today: date) -> None:
    """Labels are printed for a lot in quarantine (labelling is part of production, and its
    label reconciliation is checked at release) or released, within its expiry."""
    if status not in (LotStatus.QUARANTINE, LotStatus.RELEASED):
        raise InvalidValue(
            f"labels are printed only for a lot in quarantine or released; it is {status}",
            field="status",
        )
    if expiry is None:
        raise InvalidValue("the lot has no expiry date", field="expiry")
    if is_expired(expiry, today):
        raise InvalidValue(f"the lot expired on {expiry.isoformat()}", field="expiry")


def plan_print(
    kind: PrintKind,
    good: Iterable[int],
    printed_before: Iterable[int],
    requested: Sequence[int] | None = None,
    reason: str = "",
) -> tuple[int, ...]:
    """The vial sequences to print now, or `InvalidValue` saying why not.

    A print covers the accepted vials not printed yet (or the requested ones among them); a
    reprint covers serials already printed (all of them when none are requested) and needs a
    reason. A serial outside the accepted vials is never printed.
    """
    good_set = set(good)
    before = set(printed_before)
    wanted = None if requested is None else tuple(dict.fromkeys(requested))
    if wanted is not None:
        if not wanted:
            raise InvalidValue("no serial was asked for", field="serials")
        unknown = sorted(set(wanted) - good_set)
        if unknown:
            raise InvalidValue(
                f"not accepted vials of this lot: {ranges(unknown)}", field="serials"
            )
    if kind is PrintKind.REPRINT:
        if not reason.strip():
            raise InvalidValue("a reprint needs a reason", field="reason")
        chosen = sorted(before) if wanted is None else sorted(wanted)
        never = sorted(set(chosen) - before)
        if never:
            raise InvalidValue(f"never printed, print them first: {ranges(never)}", field="serials")
        if not chosen:
            raise InvalidValue("nothing was printed yet for this lot", field="serials")
        return tuple(chosen)
    chosen = sorted(good_set - before) if wanted is None else sorted(wanted)
    again = sorted(set(chosen) & before)
    if again:
        raise InvalidValue(
            f"already printed (reprint with a reason): {ranges(again)}", field="serials"
        )
    if not chosen:
        raise InvalidValue("every accepted vial of this lot has its label", field="serials")
    return tuple(chosen)


def check_count(kind: str, quantity: int, reason: str, *, printed: int, accounted: int) -> None:
    """Labels applied, destroyed or returned: positive, a reason for destroyed ones, and never
    more than the printed labels not yet accounted for."""
    if kind not in ("applied", "destroyed", "returned"):
        raise InvalidValue(f"unknown count {kind!r}", field="kind")
    if quantity <= 0:
        raise InvalidValue("the quantity must be positive", field="quantity")
    if kind == "destroyed" and not reason.strip():
        raise InvalidValue("destroyed labels need a reason", field="reason")
    left = printed - accounted
    if quantity > left:
        raise InvalidValue(
            f"only {left} printed labels are not accounted for yet, not {quantity}",
            field="quantity",
        )


# --- serial ranges -------------------------------------------------------------------------


def ranges(sequences: Iterable[int], width: int = 6) -> str:
    """Vial sequences as zero-padded serial ranges: [1, 2, 3, 5] → "000001-000003,000005"."""
    ordered = sorted(set(sequences))
    runs: list[tuple[int, int]] = []
    for seq in ordered:
        if runs and seq == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return ",".join(
        str(a).zfill(width) if a == b else f"{str(a).zfill(width)}-{str(b).zfill(width)}"
        for a, b in runs
    )


def parse_ranges(text: str) -> tuple[int, ...]:
    """The inverse of `ranges`, also for typed input ("1-3, 5"); `InvalidValue` on bad text."""
    out: list[int] = []
    for raw in text.replace(";", ",").split(","):
        part = raw.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        if not low.strip().isdigit() or (high and not high.strip().isdigit()):
            raise InvalidValue(f"not a serial or a range of serials: {part!r}", field="serials")
        a = int(low)
        b = int(high) if high else a
        if a < 1 or b < a:
            raise InvalidValue(f"not a valid range: {part!r}", field="serials")
        if b - a > 100_000:
            raise InvalidValue(f"range too long: {part!r}", field="serials")
        out.extend(range(a, b + 1))
    return tuple(dict.fromkeys(out))
