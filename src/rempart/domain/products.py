"""Molecules, vial formats and products as the line makes them.

The numbers that are local choices (concentrations, fill volumes, shelf lives) are product
master data, never constants: DOMAIN.md §4 and §11.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from rempart.domain.errors import InvalidValue
from rempart.domain.units import MgPerMl, Milligrams, Millilitres, ml

ATC_PATTERN = re.compile(r"^[A-Z]\d{2}[A-Z]{2}\d{2}$")
CIS_PATTERN = re.compile(r"^\d{8}$")

#: The closed vials the line takes: "all sizes, including large ready-to-use volumes".
MIN_NOMINAL_VOLUME = ml(1)
MAX_NOMINAL_VOLUME = ml(50)


class Storage(StrEnum):
    """Storage condition printed on the label."""

    REFRIGERATED = "2-8 °C"
    ROOM_TEMPERATURE = "15-25 °C"
    BELOW_25 = "below 25 °C"
    FROZEN = "below -15 °C"


class RegulatoryStatus(StrEnum):
    """The status every product and batch carries (DOMAIN.md §5.1). It drives labels."""

    HOSPITAL_PREPARATION = "hospital_preparation"
    SPECIAL_HOSPITAL_PREPARATION = "special_hospital_preparation"
    MAGISTRAL = "magistral"
    INVESTIGATIONAL = "investigational"


@dataclass(frozen=True, slots=True)
class Molecule:
    """An active substance by its international non-proprietary name (INN)."""

    inn: str
    atc: str
    mitm: bool = False
    cis_codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.inn.strip():
            raise InvalidValue("the INN must not be empty", field="inn")
        if not ATC_PATTERN.match(self.atc):
            raise InvalidValue(f"not an ATC level-5 code: {self.atc!r}", field="atc")
        for code in self.cis_codes:
            if not CIS_PATTERN.match(code):
                raise InvalidValue(f"a CIS code has 8 digits: {code!r}", field="cis_codes")


@dataclass(frozen=True, slots=True)
class VialFormat:
    """A closed vial size the line can fill (nominal 1-50 mL).

    `brimful_volume` is the most the vial holds; the fill volume (with overfill) must fit.
    """

    code: str
    nominal_volume: Millilitres
    brimful_volume: Millilitres | None = None

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise InvalidValue("the format code must not be empty", field="code")
        if not (MIN_NOMINAL_VOLUME <= self.nominal_volume <= MAX_NOMINAL_VOLUME):
            raise InvalidValue(
                f"nominal volume {self.nominal_volume} is outside 1-50 mL",
                field="nominal_volume",
            )
        if self.brimful_volume is not None and self.brimful_volume < self.nominal_volume:
            raise InvalidValue(
                "the brimful volume cannot be below the nominal volume", field="brimful_volume"
            )

    @property
    def capacity(self) -> Millilitres:
        """What the vial holds: its brimful volume, or 120 % of nominal when not given."""
        return self.brimful_volume or self.nominal_volume.scaled(Decimal("1.2"))


@dataclass(frozen=True, slots=True)
class Product:
    """A ready-to-use presentation made on the line: molecule at a concentration in a vial."""

    code: str
    name: str
    molecule: Molecule
    concentration: MgPerMl
    fill_volume: Millilitres
    vial_format: VialFormat
    storage: Storage
    shelf_life_days: int
    regulatory_status: RegulatoryStatus
    qc_lead_time_days: int = 15
    trial_reference: str | None = None
    criticality: int = 1
    producible: bool = True
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise InvalidValue("the product code must not be empty", field="code")
        if not self.name.strip():
            raise InvalidValue("the product name must not be empty", field="name")
        if self.concentration.amount <= 0:
            raise InvalidValue("the concentration must be positive", field="concentration")
        if self.fill_volume.amount <= 0:
            raise InvalidValue("the fill volume must be positive", field="fill_volume")
        if self.fill_volume > self.vial_format.capacity:
            raise InvalidValue(
                f"fill volume {self.fill_volume} does not fit a {self.vial_format.code} vial "
                f"(holds {self.vial_format.capacity})",
                field="fill_volume",
            )
        if self.shelf_life_days <= 0:
            raise InvalidValue("the shelf life must be at least one day", field="shelf_life_days")
        if self.qc_lead_time_days < 0:
            raise InvalidValue("the QC lead time cannot be negative", field="qc_lead_time_days")
        if self.qc_lead_time_days >= self.shelf_life_days:
            raise InvalidValue(
                "the QC lead time must be shorter than the shelf life", field="qc_lead_time_days"
            )
        if not 1 <= self.criticality <= 5:
            raise InvalidValue("criticality runs from 1 to 5", field="criticality")
        is_imp = self.regulatory_status is RegulatoryStatus.INVESTIGATIONAL
        if is_imp and not (self.trial_reference or "").strip():
            raise InvalidValue(
                "an investigational product needs its trial reference", field="trial_reference"
            )
        if not is_imp and self.trial_reference:
            raise InvalidValue(
                "only investigational products carry a trial reference", field="trial_reference"
            )

    @property
    def dose_per_vial(self) -> Milligrams:
        """Active substance in one vial at its labelled fill volume."""
        return self.concentration * self.fill_volume
