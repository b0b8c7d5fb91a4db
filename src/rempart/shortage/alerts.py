"""Shortage alerts: industry supply in rupture or tension, or regional cover under a threshold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from rempart.shortage.bdpm import SupplyStatus
from rempart.shortage.coverage import DEFAULT_COVER_THRESHOLD_DAYS
from rempart.shortage.matching import MoleculeSupply


class AlertKind(StrEnum):
    SUPPLY_RUPTURE = "supply_rupture"
    SUPPLY_TENSION = "supply_tension"
    LOW_COVER = "low_cover"


@dataclass(frozen=True, slots=True)
class WatchedProduct:
    code: str
    name: str
    inn: str


@dataclass(frozen=True, slots=True)
class Alert:
    product_code: str
    kind: AlertKind
    message: str


def compute_alerts(
    products: Sequence[WatchedProduct],
    supply: Mapping[str, MoleculeSupply],
    cover_days: Mapping[str, float | None],
    threshold_days: float = DEFAULT_COVER_THRESHOLD_DAYS,
) -> list[Alert]:
    """Every alert for the watched products, in product order.

    Supply alerts are per molecule (any MITM specialty of it in rupture or tension, with how
    many of the specialties are affected); the cover alert uses the regional cover in days
    (`None`: nothing consumed, never an alert).
    """
    alerts: list[Alert] = []
    for product in products:
        molecule = supply.get(product.inn)
        if molecule is not None:
            total = len({s.cis for s in molecule.specialties} | {s.cis for s in molecule.statuses})
            for status, kind in (
                (SupplyStatus.RUPTURE, AlertKind.SUPPLY_RUPTURE),
                (SupplyStatus.TENSION, AlertKind.SUPPLY_TENSION),
            ):
                affected = sorted({s.name for s in molecule.statuses if s.status is status})
                if affected:
                    alerts.append(
                        Alert(
                            product.code,
                            kind,
                            f"{product.inn}: {status.label_fr.lower()} for {len(affected)} of "
                            f"{total} specialties ({'; '.join(affected)})",
                        )
                    )
        cover = cover_days.get(product.code)
        if cover is not None and cover < threshold_days:
            alerts.append(
                Alert(
                    product.code,
                    AlertKind.LOW_COVER,
                    f"{product.name}: regional cover {cover:.1f} days, under the "
                    f"{threshold_days:g}-day threshold",
                )
            )
    return alerts
